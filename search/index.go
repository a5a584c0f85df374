// Package search owns Polis's full-text index: one Bleve index in the data
// folder over awareness pages, best-practice entries, library articles,
// glossary concepts, workshop summaries and forum posts. The index is
// derived, never the source of truth: a changed mapping version, or an
// index that will not open, means it is deleted and created afresh, and the
// caller refills it from the content files and the database.
//
// Text is analysed per language (search/textlang); a query is sent to each
// language's fields with that language's analyzer, widened across
// languages by the glossary, and always carries the viewer's audiences, so
// that totals, facets, snippets and suggestions never count or show what
// the viewer may not read.
package search

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
)

// versionKey is where the mapping version is kept inside the index.
var versionKey = []byte("polis.mappingVersion")

// Index is the open search index.
type Index struct {
	Bleve bleve.Index
	// Text gives the snippets their text (the index keeps none); nil: no
	// snippets.
	Text   TextFunc
	engine *engine
	// Fresh is true when the index was created by this Open (first start,
	// mapping change or damage) and so holds no documents yet.
	Fresh bool
}

// config is scorch's: the index is derived data that a crash can cost at
// most a rebuild of, so batches are not synced to disk one by one
// (unsafe_batch), which makes writes several times faster.
func config() map[string]any {
	// bolt_timeout: a second process opening the index in use fails
	// instead of waiting for ever.
	return map[string]any{"unsafe_batch": true, "bolt_timeout": "3s"}
}

// ErrInUse is an index that another process (a running server) holds.
var ErrInUse = errors.New("search: the index is in use by another process (is polis serve running?)")

// Recreate deletes the index at dir and creates an empty one, unless
// another process has it open.
func Recreate(dir string) (*Index, error) {
	if _, err := os.Stat(dir); err == nil {
		idx, err := bleve.OpenUsing(dir, config())
		if err != nil && strings.Contains(err.Error(), "timeout") {
			return nil, ErrInUse
		}
		if err == nil {
			idx.Close()
		}
	}
	return open(dir, MappingVersion, slog.New(slog.DiscardHandler))
}

// Open opens the index at dir, creating it when absent and recreating it
// when its mapping version differs or it cannot be opened.
func Open(dir string, log *slog.Logger) (*Index, error) {
	return open(dir, MappingVersion, log)
}

func open(dir string, version int, log *slog.Logger) (*Index, error) {
	idx, err := bleve.OpenUsing(dir, config())
	switch {
	case err == nil:
		v, verr := idx.GetInternal(versionKey)
		if verr == nil && string(v) == strconv.Itoa(version) {
			return &Index{Bleve: idx, engine: newEngine()}, nil
		}
		idx.Close()
		log.Info("search index mapping changed; rebuilding", "dir", dir, "had", string(v), "want", version)
	case errors.Is(err, bleve.ErrorIndexPathDoesNotExist):
		// First start.
	default:
		log.Warn("search index unreadable; rebuilding", "dir", dir, "err", err)
	}
	if err := os.RemoveAll(dir); err != nil {
		return nil, fmt.Errorf("search: remove old index: %w", err)
	}
	idx, err = bleve.NewUsing(dir, newMapping(), scorch.Name, scorch.Name, config())
	if err != nil {
		return nil, fmt.Errorf("search: create index: %w", err)
	}
	x := &Index{Bleve: idx, Fresh: true, engine: newEngine()}
	if err := idx.SetInternal(versionKey, []byte(strconv.Itoa(version))); err != nil {
		idx.Close()
		return nil, fmt.Errorf("search: record mapping version: %w", err)
	}
	if err := x.Sync(); err != nil {
		idx.Close()
		return nil, err
	}
	return x, nil
}

// syncTimeout bounds how long Sync waits for the disk.
const syncTimeout = 30 * time.Second

// Sync waits until everything written so far is on disk. Writes are not
// synced one by one (see config); Close and the end of a rebuild call
// this, and a crash costs at most the writes since, which the change feed
// replays.
func (x *Index) Sync() error {
	done := make(chan error, 1)
	b := x.Bleve.NewBatch()
	b.SetInternal([]byte("polis.sync"), []byte(time.Now().UTC().Format(time.RFC3339Nano)))
	b.SetPersistedCallback(func(err error) { done <- err })
	if err := x.Bleve.Batch(b); err != nil {
		return fmt.Errorf("search: sync: %w", err)
	}
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("search: sync: %w", err)
		}
		return nil
	case <-time.After(syncTimeout):
		return fmt.Errorf("search: sync: the index did not reach the disk in %s", syncTimeout)
	}
}

// DocCount returns the number of documents in the index.
func (x *Index) DocCount() (uint64, error) { return x.Bleve.DocCount() }

// Close writes what is pending to disk and closes the index.
func (x *Index) Close() error {
	serr := x.Sync()
	if err := x.Bleve.Close(); err != nil {
		return err
	}
	return serr
}

// batchSize is how many documents go to the index in one batch: large
// enough that segment building dominates, small enough to bound memory.
const batchSize = 2000

// Put adds or replaces documents, in batches, two at a time: Bleve
// analyses a batch and builds its segment in the calling goroutine, so two
// writers keep both cores busy. The documents' ids must be distinct (two
// versions of one document in one call could land in either order).
func (x *Index) Put(docs ...Doc) error {
	const writers = 2
	chunks := make(chan []Doc)
	errs := make(chan error, writers)
	var wg sync.WaitGroup
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for chunk := range chunks {
				b := x.Bleve.NewBatch()
				for i := range chunk {
					if err := b.Index(chunk[i].ID, chunk[i].fields()); err != nil {
						errs <- fmt.Errorf("search: index %s: %w", chunk[i].ID, err)
						return
					}
				}
				if err := x.Bleve.Batch(b); err != nil {
					errs <- fmt.Errorf("search: batch: %w", err)
					return
				}
			}
		}()
	}
	var err error
feed:
	for i := 0; i < len(docs); i += batchSize {
		select {
		case chunks <- docs[i:min(i+batchSize, len(docs))]:
		case err = <-errs:
			break feed
		}
	}
	close(chunks)
	wg.Wait()
	if err == nil {
		select {
		case err = <-errs:
		default:
		}
	}
	return err
}

// Delete removes documents by id; ids not in the index are ignored.
func (x *Index) Delete(ids ...string) error {
	b := x.Bleve.NewBatch()
	for _, id := range ids {
		b.Delete(id)
	}
	if err := x.Bleve.Batch(b); err != nil {
		return fmt.Errorf("search: delete: %w", err)
	}
	return nil
}

// fields is the document as Bleve indexes it.
func (d *Doc) fields() map[string]any {
	m := map[string]any{
		"_type":            docType,
		fType:              d.Type,
		fLang:              d.Lang,
		fAudience:          d.Audience,
		fTitle:             d.Title,
		fURL:               d.URL,
		fSpell:             d.Title + " " + d.Summary,
		titleField(d.Lang): d.Title,
		bodyField(d.Lang):  d.Body,
	}
	if d.Kind != "" {
		m[fKind] = d.Kind
	}
	if d.Summary != "" {
		m[fSummary] = d.Summary
	}
	if len(d.Topics) > 0 {
		m[fTopics] = d.Topics
	}
	if d.Jurisdiction != "" {
		m[fJurisdiction] = d.Jurisdiction
	}
	if d.Year > 0 {
		m[fYear] = strconv.Itoa(d.Year)
	}
	if !d.Date.IsZero() {
		m[fDateKey] = strconv.FormatInt(d.Date.Unix()/86400, 10)
	}
	return m
}

// cursorKey is where the index keeps the last change-feed row it applied.
var cursorKey = []byte("polis.changeCursor")

// Apply replaces and deletes documents and records the change-feed
// position in one batch, so that the index never claims a change it does
// not hold.
func (x *Index) Apply(put []Doc, del []string, cursor int64) error {
	b := x.Bleve.NewBatch()
	for _, id := range del {
		b.Delete(id)
	}
	for i := range put {
		if err := b.Index(put[i].ID, put[i].fields()); err != nil {
			return fmt.Errorf("search: index %s: %w", put[i].ID, err)
		}
	}
	if cursor > 0 {
		b.SetInternal(cursorKey, []byte(strconv.FormatInt(cursor, 10)))
	}
	if err := x.Bleve.Batch(b); err != nil {
		return fmt.Errorf("search: apply: %w", err)
	}
	return nil
}

// Cursor is the last change-feed row the index holds (0: none).
func (x *Index) Cursor() (int64, error) {
	v, err := x.Bleve.GetInternal(cursorKey)
	if err != nil || len(v) == 0 {
		return 0, err
	}
	return strconv.ParseInt(string(v), 10, 64)
}

// IDs returns the ids of every document of a type, to find the ones the
// sources no longer have.
func (x *Index) IDs(typ string) ([]string, error) {
	n, err := x.Bleve.DocCount()
	if err != nil {
		return nil, err
	}
	q := bleve.NewTermQuery(typ)
	q.SetField(fType)
	req := bleve.NewSearchRequestOptions(q, int(n)+1, 0, false)
	res, err := x.Bleve.Search(req)
	if err != nil {
		return nil, fmt.Errorf("search: ids of %s: %w", typ, err)
	}
	out := make([]string, 0, len(res.Hits))
	for _, h := range res.Hits {
		out = append(out, h.ID)
	}
	return out, nil
}

// Compact merges the index into one segment: after a full rebuild, so the
// index takes the least room on disk and each search reads one segment.
func (x *Index) Compact(ctx context.Context) error {
	adv, err := x.Bleve.Advanced()
	if err != nil {
		return err
	}
	s, ok := adv.(*scorch.Scorch)
	if !ok {
		return nil
	}
	if err := s.ForceMerge(ctx, nil); err != nil {
		return fmt.Errorf("search: compact: %w", err)
	}
	return x.Sync()
}
