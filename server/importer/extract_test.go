package importer

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/polis-portal/polis/server/importer/importtest"
)

func TestExtract(t *testing.T) {
	md, err := Markdown([]byte("+++\ntitle = \"x\"\n+++\n# Guide to *safe* reporting\n\nFirst paragraph.\n\n## Part\n\nMore."))
	if err != nil || md.Title != "Guide to *safe* reporting" || !strings.HasPrefix(md.Text, "First paragraph.") || !md.Markdown {
		t.Errorf("markdown: %+v %v", md, err)
	}
	tx, err := Text([]byte("\ufeff\n  Annual report 2025  \nSecond line\r\n"))
	if err != nil || tx.Title != "Annual report 2025" || tx.Markdown {
		t.Errorf("text: %+v %v", tx, err)
	}
	h, err := HTML([]byte(`<html><head><title>Hotline practice</title><style>p{}</style><script>evil()</script></head><body><nav>Menu</nav><h1>Heading</h1><p>Report &amp; remove.</p></body></html>`))
	if err != nil || h.Title != "Hotline practice" || strings.Contains(h.Text, "evil") || strings.Contains(h.Text, "Menu") || !strings.Contains(h.Text, "Report & remove.") {
		t.Errorf("html: %+v %v", h, err)
	}
	p, err := PDFText(importtest.MinimalPDF("Victim identification guide", "Investigators compare images with databases."))
	if err != nil || p.Title != "Victim identification guide" || !strings.Contains(p.Text, "Investigators compare images") {
		t.Errorf("pdf: %+v %v", p, err)
	}
	for name, bad := range map[string][]byte{
		"garbage":   []byte("%PDF-1.4\nnot really a pdf at all"),
		"truncated": importtest.MinimalPDF("T", "Some text here")[:300],
		"empty":     {},
	} {
		if _, err := PDFText(bad); err == nil {
			t.Errorf("%s PDF: no error", name)
		}
	}
	if _, err := Text([]byte{0xff, 0xfe, 0}); err == nil {
		t.Error("binary as text: no error")
	}
	if k := Kind("report.docx", []byte("PK\x03\x04")); k != "" {
		t.Errorf("docx kind %q", k)
	}
	if k := Kind("noext", []byte("%PDF-1.7")); k != "pdf" {
		t.Errorf("pdf by content: %q", k)
	}
	if got := escapeMarkdown("1. *not* a list\n- nor this # or <b>"); strings.ContainsAny(strings.NewReplacer(`\*`, "", `\#`, "", `\<`, "", `\>`, "", `\-`, "", `\.`, "").Replace(got), "*#<>") {
		t.Errorf("escaped %q", got)
	}
}

// FuzzPDFText: whatever the bytes, reading a PDF through the child
// process returns within its time limit, with an error or a text: a panic
// is recovered, a loop or a memory blow-up costs the child. (The library
// was seen to loop on fuzzed input, which is why PDFs are read in a child.)
func FuzzPDFText(f *testing.F) {
	f.Add(importtest.MinimalPDF("Title", "Text"))
	f.Add(importtest.MinimalPDF("Title", "Text")[:200])
	f.Add([]byte("%PDF-1.4\n1 0 obj << /Length 99999999 >> stream\nendobj"))
	f.Add([]byte("%PDF-1.4\ntrailer << /Root << /Pages << /Kids [<< /Type /Page >>] /Count 1 >> >> >>"))
	read := childReader(5 * time.Second)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 1<<16 {
			return
		}
		path := filepath.Join(dir, "in.pdf")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		e, err := read(context.Background(), path)
		if time.Since(start) > 10*time.Second {
			t.Fatal("the child was not stopped at its time limit")
		}
		if err == nil && strings.TrimSpace(e.Text) == "" {
			t.Error("no error and no text")
		}
	})
}

// TestMain lets this test binary be the PDF child of ChildPDF.
func TestMain(m *testing.M) {
	if os.Getenv("POLIS_PDF_CHILD_TEST") == "1" {
		ServeChild(os.Stdout, os.Args[len(os.Args)-1])
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// childReader reads PDFs in a child process of this test binary.
func childReader(timeout time.Duration) func(context.Context, string) (Extracted, error) {
	return ChildPDF(os.Args[0], []string{"-test.run=^$"}, []string{"POLIS_PDF_CHILD_TEST=1"}, timeout)
}

// TestChildPDF: a PDF read in a child process; a child that hangs is
// killed at the time limit and the import goes on.
func TestChildPDF(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.pdf")
	os.WriteFile(good, importtest.MinimalPDF("Title here", "Body text here"), 0o644)
	e, err := childReader(10*time.Second)(context.Background(), good)
	if err != nil || e.Title != "Title here" {
		t.Fatalf("child: %+v %v", e, err)
	}
	bad := filepath.Join(dir, "bad.pdf")
	os.WriteFile(bad, []byte("%PDF-1.4 broken"), 0o644)
	if _, err := childReader(10*time.Second)(context.Background(), bad); err == nil || !strings.Contains(err.Error(), "unreadable PDF") {
		t.Errorf("bad PDF: %v", err)
	}
	// A reader that never ends (as a Go PDF library may on a hostile file).
	start := time.Now()
	_, err = ChildPDF("sh", []string{"-c", "sleep 30", "sh"}, nil, 300*time.Millisecond)(context.Background(), good)
	if err == nil || !strings.Contains(err.Error(), "longer than") || time.Since(start) > 5*time.Second {
		t.Errorf("hanging reader: %v after %s", err, time.Since(start))
	}
}
