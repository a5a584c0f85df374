package cli

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/polis-portal/polis/search"
	"github.com/polis-portal/polis/server/importer/importtest"
	"github.com/polis-portal/polis/server/sitetest"
	"github.com/polis-portal/polis/server/store"
)

// TestMain lets this test binary be `polis __pdftext` when the import
// test starts it as its PDF child, as the real binary is, and `polis
// serve` when the crash test starts it.
func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(Run(os.Args[1:])) // `polis serve` for the crash test
	}
	if len(os.Args) > 2 && os.Args[1] == pdfChildCommand {
		env := &Env{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
		os.Exit(Main(context.Background(), env, os.Args[1:]))
	}
	os.Exit(m.Run())
}

// TestIndexRebuild: `polis index --rebuild` deletes the index and builds
// it again from the sources; it refuses while a server holds the index
// (issue 8).
func TestIndexRebuild(t *testing.T) {
	src := sitetest.CopySite(t)
	data := filepath.Join(t.TempDir(), "data")
	public := filepath.Join(t.TempDir(), "public")
	args := []string{"--site", src, "--data", data, "--public", public}
	env, out, errb := testEnv(nil)
	if code := Main(context.Background(), env, append([]string{"index"}, args...)); code != 2 {
		t.Errorf("index without --rebuild: %d, want 2 (usage)", code)
	}
	env, out, errb = testEnv(nil)
	if code := Main(context.Background(), env, append([]string{"index", "--rebuild"}, args...)); code != 0 {
		t.Fatalf("index --rebuild: %d\n%s", code, errb)
	}
	if !strings.Contains(out.String(), "search index rebuilt:") {
		t.Errorf("output: %q", out)
	}
	idx, err := search.Open(filepath.Join(data, "index"), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	res, err := idx.Search(context.Background(), search.Request{Query: search.Parse("lanzarote type:library"), Audiences: []string{search.Public}, Size: 1})
	if err != nil || idx.Fresh || res.Total == 0 {
		t.Errorf("rebuilt index: fresh %v, %d hits, %v", idx.Fresh, res.Total, err)
	}
	idx.Close()

	// A running server holds the index: rebuilding refuses, clearly.
	_, _, stop := startServe(t, append([]string{"--addr", "127.0.0.1:0"}, args...), nil)
	defer stop()
	env, _, errb = testEnv(nil)
	if code := Main(context.Background(), env, append([]string{"index", "--rebuild"}, args...)); code != 1 || !strings.Contains(errb.String(), "in use") {
		t.Errorf("rebuild beside a server: %d %s", code, errb)
	}
}

// TestImport imports each supported kind of file, reports a corrupt PDF
// and an unsupported file by name and goes on, exits 1 for them, detects
// the language, and skips what was imported before (issue 8).
func TestImport(t *testing.T) {
	src := sitetest.CopySite(t)
	data := filepath.Join(t.TempDir(), "data")
	docs := t.TempDir()
	files := map[string][]byte{
		"guide.md":            []byte("# Hotline guide\n\nHow hotlines assess reports of child sexual abuse material.\n"),
		"report.txt":          []byte("Annual report of the helpline\n\nCalls from young people rose this year.\n"),
		"page.html":           []byte("<html><head><title>Takedown practice</title></head><body><p>Removal notices go to the host.</p></body></html>"),
		"study.pdf":           importtest.MinimalPDF("Victim identification study", "Investigators compare images with databases."),
		"corrupt.pdf":         []byte("%PDF-1.4\nthis is not a PDF"),
		"slides.docx":         []byte("PK\x03\x04not supported"),
		".hidden.txt":         []byte("never imported"),
		"sub/enquete.txt":     []byte("Guide de l'enquête\n\nLes enquêteurs conservent les preuves et signalent les contenus aux plateformes pour qu'elles les retirent."),
		"sub/empty-title.txt": []byte("\n\n"),
	}
	for name, b := range files {
		p := filepath.Join(docs, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"import", "--site", src, "--data", data, "--audience", "public", "--topic", "hotline-and-takedown", docs}
	env, out, errb := testEnv(nil)
	if code := Main(context.Background(), env, args); code != 1 {
		t.Fatalf("import: %d, want 1 (some failed)\n%s\n%s", code, out, errb)
	}
	o := out.String()
	for _, want := range []string{"imported: " + filepath.Join(docs, "guide.md"), "imported: " + filepath.Join(docs, "study.pdf"),
		"imported: " + filepath.Join(docs, "page.html"), "imported: " + filepath.Join(docs, "sub/enquete.txt"),
		"failed: " + filepath.Join(docs, "corrupt.pdf") + ": unreadable PDF", "failed: " + filepath.Join(docs, "slides.docx") + ": not a supported kind",
		"failed: " + filepath.Join(docs, "sub/empty-title.txt"), "5 imported, 0 skipped (imported before), 3 failed"} {
		if !strings.Contains(o, want) {
			t.Errorf("output lacks %q:\n%s", want, o)
		}
	}
	if strings.Contains(o, "hidden") || !strings.Contains(errb.String(), "3 of 8 files failed") {
		t.Errorf("hidden file or error line:\n%s\n%s", o, errb)
	}
	st, err := store.Open(context.Background(), store.SQLiteDSN(filepath.Join(data, "polis.db")))
	if err != nil {
		t.Fatal(err)
	}
	items, _ := st.Practices(context.Background(), store.PracticeFilter{Audiences: []string{"public"}, Kinds: []string{"document"}})
	langs := map[string]string{}
	for _, p := range items {
		for l, tx := range p.Texts {
			langs[tx.Title] = l
		}
	}
	st.Close()
	if len(items) != 5 || langs["Victim identification study"] != "en" || langs["Guide de l'enquête"] != "fr" || langs["Takedown practice"] != "en" {
		t.Errorf("imported items: %d, languages %v", len(items), langs)
	}
	// Again: everything imported before is skipped; the failures again.
	env, out, _ = testEnv(nil)
	Main(context.Background(), env, args)
	if !strings.Contains(out.String(), "0 imported, 5 skipped (imported before), 3 failed") {
		t.Errorf("second import:\n%s", out)
	}
}
