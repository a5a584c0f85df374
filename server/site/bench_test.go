package site_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/polis-portal/polis/server/site"
	"github.com/polis-portal/polis/server/sitetest"
)

// BenchmarkBuildSite builds the real site, all languages (budget: under
// 2 s).
func BenchmarkBuildSite(b *testing.B) {
	root := sitetest.Root(b)
	out := filepath.Join(b.TempDir(), "public")
	for b.Loop() {
		if err := site.Build(root, out, site.BuildOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBuildSynthetic10k builds the site with 10,000 extra synthetic
// pages spread over the six languages (issue 3; budget: under 15 s). Run it
// with -benchtime 1x: one build is the measurement.
func BenchmarkBuildSynthetic10k(b *testing.B) {
	src := sitetest.CopySite(b)
	s, err := site.Load(src)
	if err != nil {
		b.Fatal(err)
	}
	const total = 10000
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range total {
		lang := s.Codes()[i%len(s.Codes())]
		dir := filepath.Join(src, "content", lang, "synthetic")
		if i < len(s.Codes()) {
			os.MkdirAll(dir, 0o755)
			os.WriteFile(filepath.Join(dir, "_index.md"), []byte("---\ntitle: \"Synthetic\"\n---\n"), 0o644)
		}
		page := syntheticPage(rng, i/len(s.Codes()))
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("page-%05d.md", i/len(s.Codes()))), []byte(page), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	out := filepath.Join(b.TempDir(), "public")
	for b.Loop() {
		if err := site.Build(src, out, site.BuildOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(total, "pages")
}

var words = strings.Fields(`online safety child report help hotline helpline platform image removal
grooming sextortion evidence police trust family school teacher message account privacy settings
support listen calm guidance secure parents young people abuse material protection law service`)

// syntheticPage writes a page of realistic shape: front matter, a few
// headed sections of paragraphs and a list, about 600 words.
func syntheticPage(rng *rand.Rand, n int) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "---\ntitle: \"Synthetic page %d\"\ndescription: \"A generated page for the build benchmark.\"\ntranslationKey: \"synthetic-%d\"\naudience: [\"everyone\"]\nweight: %d\n---\n\n", n, n, n)
	for s := range 4 {
		fmt.Fprintf(&sb, "## Section %d\n\n", s+1)
		for range 3 {
			for w := range 40 {
				if w > 0 {
					sb.WriteByte(' ')
				}
				sb.WriteString(words[rng.IntN(len(words))])
			}
			sb.WriteString(".\n\n")
		}
		for range 4 {
			fmt.Fprintf(&sb, "- **%s** %s %s\n", words[rng.IntN(len(words))], words[rng.IntN(len(words))], words[rng.IntN(len(words))])
		}
		sb.WriteString("\n")
	}
	return sb.String()
}
