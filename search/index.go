// Package search owns Polis's full-text index: a Bleve index in the data
// folder, derived from content files and the database and never the source
// of truth. A changed mapping version, or an index that will not open, means
// the index is deleted and created afresh; callers then refill it.
package search

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/mapping"
)

// MappingVersion changes whenever the mapping below changes, so that an
// index built with an older mapping is rebuilt at the next start.
const MappingVersion = 1

// versionKey is where the mapping version is kept inside the index.
var versionKey = []byte("polis.mappingVersion")

// Index is the open search index.
type Index struct {
	Bleve bleve.Index
	// Fresh is true when the index was created by this Open (first start,
	// mapping change or damage) and so holds no documents yet.
	Fresh bool
}

// Open opens the index at dir, creating it when absent and recreating it
// when its mapping version differs or it cannot be opened.
func Open(dir string, log *slog.Logger) (*Index, error) {
	return open(dir, MappingVersion, log)
}

func open(dir string, version int, log *slog.Logger) (*Index, error) {
	idx, err := bleve.Open(dir)
	switch {
	case err == nil:
		v, verr := idx.GetInternal(versionKey)
		if verr == nil && string(v) == strconv.Itoa(version) {
			return &Index{Bleve: idx}, nil
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
	idx, err = bleve.New(dir, newMapping())
	if err != nil {
		return nil, fmt.Errorf("search: create index: %w", err)
	}
	if err := idx.SetInternal(versionKey, []byte(strconv.Itoa(version))); err != nil {
		idx.Close()
		return nil, fmt.Errorf("search: record mapping version: %w", err)
	}
	return &Index{Bleve: idx, Fresh: true}, nil
}

// DocCount returns the number of documents in the index.
func (x *Index) DocCount() (uint64, error) { return x.Bleve.DocCount() }

// Close closes the index.
func (x *Index) Close() error { return x.Bleve.Close() }

// newMapping is the explicit mapping: nothing is indexed by accident (the
// default mapping is off), every document declares its type.
func newMapping() *mapping.IndexMappingImpl {
	m := bleve.NewIndexMapping()
	m.DefaultMapping.Enabled = false
	m.DefaultMapping.Dynamic = false
	m.TypeField = "type"

	doc := bleve.NewDocumentStaticMapping()
	text := bleve.NewTextFieldMapping()
	text.Analyzer = "standard"
	text.Store = true
	text.IncludeTermVectors = true
	keyword := bleve.NewKeywordFieldMapping()
	keyword.Store = true
	doc.AddFieldMappingsAt("title", text)
	doc.AddFieldMappingsAt("body", text)
	doc.AddFieldMappingsAt("language", keyword)
	doc.AddFieldMappingsAt("url", keyword)
	doc.AddFieldMappingsAt("audience", keyword)
	m.AddDocumentMapping("page", doc)
	return m
}
