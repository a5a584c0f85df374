package search

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func indexDoc(t *testing.T, idx *Index) {
	t.Helper()
	err := idx.Put(Doc{ID: ID("page", "en", "/en/about/"), Type: "page", Lang: "en", Title: "About Polis", Body: "A knowledge portal.",
		URL: "/en/about/", Audience: []string{Public}})
	if err != nil {
		t.Fatal(err)
	}
}

func count(t *testing.T, idx *Index) uint64 {
	t.Helper()
	n, err := idx.DocCount()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestOpenCreatesThenReuses: the first Open creates the index, the next one
// reuses it with its documents (issue 2: a second start reuses the index).
func TestOpenCreatesThenReuses(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "index")
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	idx, err := Open(dir, log)
	if err != nil {
		t.Fatal(err)
	}
	if !idx.Fresh {
		t.Error("a new index is not marked fresh")
	}
	indexDoc(t, idx)
	idx.Close()

	idx, err = Open(dir, log)
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	if idx.Fresh || count(t, idx) != 1 {
		t.Errorf("reopened index: fresh %v, %d documents; want reused with 1", idx.Fresh, count(t, idx))
	}
}

// TestOpenRebuildsOnMappingChange: an index made with another mapping
// version is replaced by an empty one, and the reason is logged.
func TestOpenRebuildsOnMappingChange(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "index")
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	idx, err := open(dir, MappingVersion-1, log)
	if err != nil {
		t.Fatal(err)
	}
	indexDoc(t, idx)
	idx.Close()

	idx, err = Open(dir, log)
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	if !idx.Fresh || count(t, idx) != 0 {
		t.Errorf("after a mapping change: fresh %v, %d documents; want a new empty index", idx.Fresh, count(t, idx))
	}
	if !strings.Contains(logs.String(), "mapping changed") {
		t.Errorf("rebuild not logged: %s", logs.String())
	}
}

// TestOpenRebuildsDamagedIndex: an index that will not open is replaced.
func TestOpenRebuildsDamagedIndex(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "index")
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	idx, err := Open(dir, log)
	if err != nil {
		t.Fatal(err)
	}
	idx.Close()
	if err := os.WriteFile(filepath.Join(dir, "index_meta.json"), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	idx, err = Open(dir, log)
	if err != nil {
		t.Fatalf("damaged index not rebuilt: %v", err)
	}
	defer idx.Close()
	if !idx.Fresh || !strings.Contains(logs.String(), "unreadable") {
		t.Errorf("damaged index: fresh %v, logs %s", idx.Fresh, logs.String())
	}
	indexDoc(t, idx)
	if count(t, idx) != 1 {
		t.Error("rebuilt index does not take documents")
	}
}
