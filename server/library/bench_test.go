package library

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/polis-portal/polis/search/glossary"
	"github.com/polis-portal/polis/server/sitetest"
)

// BenchmarkSuggest matches a draft of about 100 KB (a long draft law)
// against the repository's checklist and glossary, in English: what one
// self-assessment costs the server.
func BenchmarkSuggest(b *testing.B) {
	root := sitetest.Root(b)
	gl, err := glossary.Load(filepath.Join(root, "content", "_data", "glossary.toml"))
	if err != nil {
		b.Fatal(err)
	}
	l, err := Load(filepath.Join(root, "content"), []string{"en", "fr", "de", "it", "ru", "es"}, gl)
	if err != nil {
		b.Fatal(err)
	}
	var draft strings.Builder
	for draft.Len() < 100<<10 {
		for _, a := range l.Doc("polis-model-law").Texts["en"].Articles {
			draft.WriteString(a.Markdown + "\n\n")
		}
	}
	m := NewMatcher(l, gl)
	m.Suggest("warm up", "en")
	b.SetBytes(int64(draft.Len()))
	b.ResetTimer()
	for b.Loop() {
		if len(m.Suggest(draft.String(), "en")) == 0 {
			b.Fatal("no suggestions")
		}
	}
}
