package search

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/polis-portal/polis/search/corpus"
)

// The search benchmarks (issue 8) measure Bleve as Polis uses it against
// SQLite FTS5, the full-text search a developer might pick instead, on the
// same synthetic corpus and the same queries, in the same run. The corpus
// size comes from POLIS_BENCH_DOCS (default 10,000; the budgets are for
// 100,000). Commands and figures: docs/performance.md.

func benchDocs(b *testing.B) int {
	n := 10000
	if s := os.Getenv("POLIS_BENCH_DOCS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v <= 0 {
			b.Fatalf("POLIS_BENCH_DOCS=%q", s)
		}
		n = v
	}
	return n
}

// toDoc is a corpus document as Polis indexes it: staff read everything.
func toDoc(c corpus.Doc) Doc {
	return Doc{ID: c.ID, Type: c.Type, Lang: c.Lang, Title: c.Title, Body: c.Body, URL: c.URL, Topics: c.Topics,
		Jurisdiction: c.Jurisdiction, Year: c.Year, Date: c.Date, Audience: []string{c.Audience, Staff}}
}

var (
	corpusMu    sync.Mutex
	corpusCache = map[int][]corpus.Doc{}
)

func getCorpus(n int) []corpus.Doc {
	corpusMu.Lock()
	defer corpusMu.Unlock()
	if c, ok := corpusCache[n]; ok {
		return c
	}
	c := corpus.Generate(n, 2026)
	corpusCache[n] = c
	return c
}

func dirSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// buildBleve indexes the corpus into a new index in dir.
func buildBleve(b *testing.B, dir string, docs []corpus.Doc) *Index {
	idx, err := Open(dir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	all := make([]Doc, len(docs))
	for i, c := range docs {
		all[i] = toDoc(c)
	}
	if err := idx.Put(all...); err != nil {
		b.Fatal(err)
	}
	// As a rebuild does.
	if err := idx.Compact(context.Background()); err != nil {
		b.Fatal(err)
	}
	idx.Text = corpusText(docs)
	return idx
}

// corpusText serves the snippets' text from the corpus, as the
// collections serve it from the database and the content files.
func corpusText(docs []corpus.Doc) TextFunc {
	byID := make(map[string]string, len(docs))
	for _, d := range docs {
		byID[d.ID] = d.Body
	}
	return func(_ context.Context, ids []string) (map[string]string, error) {
		out := make(map[string]string, len(ids))
		for _, id := range ids {
			out[id] = byID[id]
		}
		return out, nil
	}
}

// The FTS5 baseline: a documents table with the filter columns, and an
// FTS5 table of title and body with the Unicode tokenizer that removes
// diacritics (SQLite has no stemmers for these languages).
const fts5Schema = `
CREATE TABLE docs (rowid INTEGER PRIMARY KEY, id TEXT, type TEXT, lang TEXT, topics TEXT, jurisdiction TEXT,
	year INTEGER, date TEXT, aud TEXT, url TEXT, title TEXT);
CREATE INDEX docs_aud ON docs (aud);
CREATE VIRTUAL TABLE fts USING fts5 (title, body, tokenize = 'unicode61 remove_diacritics 2');`

func openFTS5(b *testing.B, file string) *sql.DB {
	db, err := sql.Open("sqlite", "file:"+file+"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)")
	if err != nil {
		b.Fatal(err)
	}
	db.SetMaxOpenConns(4)
	return db
}

func buildFTS5(b *testing.B, file string, docs []corpus.Doc) *sql.DB {
	db := openFTS5(b, file)
	if _, err := db.Exec(fts5Schema); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < len(docs); i += batchSize {
		tx, err := db.Begin()
		if err != nil {
			b.Fatal(err)
		}
		ins, _ := tx.Prepare(`INSERT INTO docs (rowid, id, type, lang, topics, jurisdiction, year, date, aud, url, title) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)`)
		fts, _ := tx.Prepare(`INSERT INTO fts (rowid, title, body) VALUES ($1, $2, $3)`)
		for j := i; j < min(i+batchSize, len(docs)); j++ {
			d := docs[j]
			if _, err := ins.Exec(j+1, d.ID, d.Type, d.Lang, strings.Join(d.Topics, " "), d.Jurisdiction, d.Year, d.Date.Format(time.RFC3339), d.Audience, d.URL, d.Title); err != nil {
				b.Fatal(err)
			}
			if _, err := fts.Exec(j+1, d.Title, d.Body); err != nil {
				b.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	return db
}

// ftsMatch writes a parsed query in FTS5's syntax.
func ftsMatch(p Parsed) string {
	var parts []string
	quote := func(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
	for _, w := range p.Words {
		parts = append(parts, quote(w))
	}
	for _, ph := range p.Phrases {
		parts = append(parts, quote(ph))
	}
	q := strings.Join(parts, " ")
	for _, w := range append(append([]string{}, p.NotWords...), p.NotPhrases...) {
		q += " NOT " + quote(w)
	}
	return q
}

// ftsSearch is one search as an application would run it on FTS5: the ten
// best hits with snippets (bm25), then the total and the five facets from
// one pass over the matches; the viewer's audiences in both.
func ftsSearch(db *sql.DB, q string, auds []string) (int, error) {
	p := Parse(q)
	args := []any{ftsMatch(p)}
	var in []string
	for _, a := range auds {
		args = append(args, a)
		in = append(in, "$"+strconv.Itoa(len(args)))
	}
	where := "fts MATCH $1 AND d.aud IN (" + strings.Join(in, ",") + ")"
	if len(p.Types) > 0 {
		args = append(args, p.Types[0])
		where += " AND d.type = $" + strconv.Itoa(len(args))
	}
	rows, err := db.Query(`SELECT d.id, d.url, d.title, snippet(fts, 1, '<mark>', '</mark>', '…', 16) FROM fts JOIN docs d ON d.rowid = fts.rowid
		WHERE `+where+` ORDER BY bm25(fts) LIMIT 10`, args...)
	if err != nil {
		return 0, err
	}
	for rows.Next() {
		var id, url, title, snip string
		if err := rows.Scan(&id, &url, &title, &snip); err != nil {
			rows.Close()
			return 0, err
		}
	}
	rows.Close()
	rows, err = db.Query(`SELECT d.type, d.lang, d.topics, d.jurisdiction, d.year FROM fts JOIN docs d ON d.rowid = fts.rowid WHERE `+where, args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	total := 0
	facets := map[string]map[string]int{"type": {}, "lang": {}, "topics": {}, "jurisdiction": {}, "year": {}}
	for rows.Next() {
		var typ, lang, topics, jur string
		var year int
		if err := rows.Scan(&typ, &lang, &topics, &jur, &year); err != nil {
			return 0, err
		}
		total++
		facets["type"][typ]++
		facets["lang"][lang]++
		for _, t := range strings.Fields(topics) {
			facets["topics"][t]++
		}
		facets["jurisdiction"][jur]++
		facets["year"][strconv.Itoa(year)]++
	}
	return total, rows.Err()
}

// viewers are the audiences the queries run with: a visitor and an expert.
var viewers = [][]string{{Public}, {Public, Experts, Group("vid")}}

// BenchmarkIndexing indexes the corpus with Polis's six-language mapping
// and into FTS5, and reports documents per second and the size on disk.
func BenchmarkIndexing(b *testing.B) {
	n := benchDocs(b)
	docs := getCorpus(n)
	b.Run("bleve", func(b *testing.B) {
		for b.Loop() {
			dir := filepath.Join(b.TempDir(), "index")
			start := time.Now()
			idx := buildBleve(b, dir, docs)
			el := time.Since(start)
			idx.Close()
			b.ReportMetric(float64(n)/el.Seconds(), "docs/s")
			b.ReportMetric(float64(dirSize(dir))/(1<<20), "MB")
		}
	})
	b.Run("fts5", func(b *testing.B) {
		for b.Loop() {
			file := filepath.Join(b.TempDir(), "fts.db")
			start := time.Now()
			db := buildFTS5(b, file, docs)
			db.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
			el := time.Since(start)
			db.Close()
			b.ReportMetric(float64(n)/el.Seconds(), "docs/s")
			b.ReportMetric(float64(dirSize(filepath.Dir(file)))/(1<<20), "MB")
		}
	})
}

// latencies runs every query for every viewer rounds times and returns the
// 50th and 99th percentiles.
func latencies(b *testing.B, rounds int, run func(q string, auds []string)) (p50, p99 time.Duration) {
	var ds []time.Duration
	for range rounds {
		for _, q := range corpus.Queries {
			for _, v := range viewers {
				start := time.Now()
				run(q.Text, v)
				ds = append(ds, time.Since(start))
			}
		}
	}
	slices.Sort(ds)
	return ds[len(ds)/2], ds[len(ds)*99/100]
}

// BenchmarkQuery runs the fixed queries with facets, snippets and the
// access filter on both engines and reports p50 and p99 in microseconds.
func BenchmarkQuery(b *testing.B) {
	n := benchDocs(b)
	docs := getCorpus(n)
	tmp := b.TempDir()
	idx := buildBleve(b, filepath.Join(tmp, "index"), docs)
	defer idx.Close()
	db := buildFTS5(b, filepath.Join(tmp, "fts.db"), docs)
	defer db.Close()
	ctx := context.Background()
	bleveRun := func(q string, auds []string) {
		if _, err := idx.Search(ctx, Request{Query: Parse(q), Audiences: auds, Size: 10, Facets: true, Snippets: true}); err != nil {
			b.Fatal(err)
		}
	}
	ftsRun := func(q string, auds []string) {
		if _, err := ftsSearch(db, q, auds); err != nil {
			b.Fatal(fmt.Errorf("%s: %w", q, err))
		}
	}
	// Warm both up (caches, mmaps) before measuring.
	latencies(b, 1, bleveRun)
	latencies(b, 1, ftsRun)
	b.Run("bleve", func(b *testing.B) {
		for b.Loop() {
			p50, p99 := latencies(b, 5, bleveRun)
			b.ReportMetric(float64(p50.Microseconds()), "p50-µs")
			b.ReportMetric(float64(p99.Microseconds()), "p99-µs")
		}
	})
	b.Run("fts5", func(b *testing.B) {
		for b.Loop() {
			p50, p99 := latencies(b, 5, ftsRun)
			b.ReportMetric(float64(p50.Microseconds()), "p50-µs")
			b.ReportMetric(float64(p99.Microseconds()), "p99-µs")
		}
	})
}

// BenchmarkServerMemory builds an index of the corpus, then measures a
// process that holds only what a server holds: this test binary started
// again (TestMemoryChild) opens the index, runs the queries with facets,
// snippets and the access filter, and reports its resident memory
// (VmRSS), engine caches and mapped index pages included.
func BenchmarkServerMemory(b *testing.B) {
	n := benchDocs(b)
	dir := filepath.Join(b.TempDir(), "index")
	docs := corpus.Generate(n, 2026)
	idx := buildBleve(b, dir, docs)
	idx.Close()
	for b.Loop() {
		cmd := exec.Command(os.Args[0], "-test.run=^TestMemoryChild$", "-test.v")
		cmd.Env = append(os.Environ(), "POLIS_MEM_CHILD_DIR="+dir, "POLIS_MEM_CHILD_DOCS="+strconv.Itoa(n))
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("child: %v\n%s", err, out)
		}
		m := regexp.MustCompile(`RSS-KB=(\d+)`).FindSubmatch(out)
		if m == nil {
			b.Fatalf("child output:\n%s", out)
		}
		kb, _ := strconv.Atoi(string(m[1]))
		b.ReportMetric(float64(kb)/1024, "RSS-MB")
	}
}

// TestMemoryChild is BenchmarkServerMemory's child; it does nothing in a
// normal test run.
func TestMemoryChild(t *testing.T) {
	dir := os.Getenv("POLIS_MEM_CHILD_DIR")
	if dir == "" {
		t.Skip("only as BenchmarkServerMemory's child")
	}
	idx, err := Open(dir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	// The snippets' text comes from the collections (the database, the
	// files) in a server; here a function returns a fixed text, so the
	// corpus is not counted as the server's memory.
	idx.Text = func(_ context.Context, ids []string) (map[string]string, error) {
		out := map[string]string{}
		for _, id := range ids {
			out[id] = "text"
		}
		return out, nil
	}
	for range 3 {
		for _, q := range corpus.Queries {
			for _, v := range viewers {
				if _, err := idx.Search(context.Background(), Request{Query: Parse(q.Text), Audiences: v, Size: 10, Facets: true, Snippets: true}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	runtime.GC()
	fmt.Printf("RSS-KB=%d\n", rssKB())
}

// rssKB reads the process's resident set size from /proc.
func rssKB() int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				v, _ := strconv.Atoi(f[1])
				return v
			}
		}
	}
	return 0
}
