// Package textlang is Polis's language-aware text analysis: one analyzer
// per site language (Bleve's tokenizer, stop words and stemmer for that
// language, then accent folding, so "securite" meets "sécurité" and a
// stemmed French or Russian word meets its inflected forms), a neutral
// analyzer for every other language, and a small language guesser.
//
// The analyzers are registered with Bleve under the names "polis_<lang>",
// so the search index and the library's draft matcher analyse text the
// same way.
package textlang

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/char/asciifolding"
	"github.com/blevesearch/bleve/v2/analysis/lang/de"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/lang/es"
	"github.com/blevesearch/bleve/v2/analysis/lang/fr"
	"github.com/blevesearch/bleve/v2/analysis/lang/it"
	"github.com/blevesearch/bleve/v2/analysis/lang/ru"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/registry"
)

// Languages are the languages with their own analysis, in the site's order.
var Languages = []string{"en", "fr", "de", "it", "ru", "es"}

// Neutral is the analyzer name suffix for any other language: words,
// lower case, accents folded, no stemming and no stop words.
const Neutral = "neutral"

// base names Bleve's own analyzer for each language.
var base = map[string]string{
	"en": en.AnalyzerName, "fr": fr.AnalyzerName, "de": de.AnalyzerName,
	"it": it.AnalyzerName, "ru": ru.AnalyzerName, "es": es.AnalyzerName,
}

// stemmers replaces a language's default stemmer where Bleve's light one
// treats forms of one word differently (Spanish "niño" and "niños").
var stemmers = map[string]string{"es": es.SnowballStemmerName}

// FoldName is the token filter that folds accents after stemming.
const FoldName = "polis_fold"

// AnalyzerName is the registered name of lang's analyzer.
func AnalyzerName(lang string) string {
	if _, ok := base[lang]; ok {
		return "polis_" + lang
	}
	return "polis_" + Neutral
}

func init() {
	if err := registry.RegisterTokenFilter(FoldName, func(map[string]any, *registry.Cache) (analysis.TokenFilter, error) {
		return foldFilter{}, nil
	}); err != nil {
		panic(err)
	}
	for lang, name := range base {
		lang, name := lang, name
		if err := registry.RegisterAnalyzer("polis_"+lang, func(_ map[string]any, c *registry.Cache) (analysis.Analyzer, error) {
			a, err := c.AnalyzerNamed(name)
			if err != nil {
				return nil, err
			}
			d, ok := a.(*analysis.DefaultAnalyzer)
			if !ok {
				return a, nil
			}
			filters := append([]analysis.TokenFilter{}, d.TokenFilters...)
			if name, ok := stemmers[lang]; ok {
				// Replace the language's stemmer (the last filter).
				st, err := c.TokenFilterNamed(name)
				if err != nil {
					return nil, err
				}
				filters[len(filters)-1] = st
			}
			filters = append(filters, foldFilter{})
			return &analysis.DefaultAnalyzer{CharFilters: d.CharFilters, Tokenizer: wordTokenizer{}, TokenFilters: filters}, nil
		}); err != nil {
			panic(err)
		}
	}
	if err := registry.RegisterAnalyzer("polis_"+Neutral, func(_ map[string]any, c *registry.Cache) (analysis.Analyzer, error) {
		lower, err := c.TokenFilterNamed(lowercase.Name)
		if err != nil {
			return nil, err
		}
		return &analysis.DefaultAnalyzer{Tokenizer: wordTokenizer{}, TokenFilters: []analysis.TokenFilter{lower, foldFilter{}}}, nil
	}); err != nil {
		panic(err)
	}
}

// foldFilter removes accents from each term (é → e, ß → ss, ё → е), after
// the stemmer, which expects the accented forms. ASCII terms, most of them,
// pass untouched; others are folded in place when nothing changes length.
type foldFilter struct{}

var folder = asciifolding.New()

func (foldFilter) Filter(in analysis.TokenStream) analysis.TokenStream {
	for _, t := range in {
		t.Term = fold(t.Term)
	}
	return in
}

// fold folds one term. Cyrillic has only ё to fold; Latin letters go
// through Bleve's ASCII folding (Lucene's table).
func fold(term []byte) []byte {
	latin, copied := false, false
	for i := 0; i < len(term); {
		c := term[i]
		if c < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(term[i:])
		switch {
		case r == 'ё' || r == 'Ё':
			// Terms may share memory with the text being indexed: copy
			// before writing.
			if !copied {
				term, copied = append([]byte(nil), term...), true
			}
			term[i], term[i+1] = 0xd0, 0xb5 // е, same length
			if r == 'Ё' {
				term[i+1] = 0x95 // Е
			}
		case r < 0x2000 && !unicode.Is(unicode.Cyrillic, r) && !unicode.Is(unicode.Greek, r):
			latin = true
		}
		i += size
	}
	if latin {
		return folder.Filter(term)
	}
	return term
}

// wordTokenizer splits text into words: runs of letters, marks and digits,
// keeping an apostrophe between letters ("d'un", "child's") for the elision
// and possessive filters, and each ideograph as a word of its own. It
// stands in for Bleve's Unicode (UAX #29) tokenizer, which is several times
// slower, and splits the portal's languages the same way.
type wordTokenizer struct{}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r)
}

func isIdeograph(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r)
}

func (wordTokenizer) Tokenize(input []byte) analysis.TokenStream {
	out := make(analysis.TokenStream, 0, len(input)/6+1)
	start, digits, letters := -1, true, false
	emit := func(end int) {
		typ := analysis.AlphaNumeric
		if digits {
			typ = analysis.Numeric
		}
		out = append(out, &analysis.Token{Term: input[start:end:end], Start: start, End: end, Position: len(out) + 1, Type: typ})
		start, digits, letters = -1, true, false
	}
	for i := 0; i < len(input); {
		r, size := rune(input[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRune(input[i:])
		}
		switch {
		case r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'):
			if start < 0 {
				start = i
			}
			if r > '9' {
				digits, letters = false, true
			}
		case (r == '\'' || r == '’') && start >= 0 && letters && i+size < len(input):
			next, _ := utf8.DecodeRune(input[i+size:])
			if !unicode.IsLetter(next) {
				emit(i)
			}
		case r >= utf8.RuneSelf && isIdeograph(r):
			if start >= 0 {
				emit(i)
			}
			start, digits = i, false
			emit(i + size)
		case r >= utf8.RuneSelf && isWordRune(r):
			if start < 0 {
				start = i
			}
			if !unicode.IsDigit(r) {
				digits, letters = false, true
			}
		default:
			if start >= 0 {
				emit(i)
			}
		}
		i += size
	}
	if start >= 0 {
		emit(len(input))
	}
	return out
}

var (
	cacheMu   sync.Mutex
	analyzers = map[string]analysis.Analyzer{}
	regCache  = registry.NewCache()
)

// Analyzer returns lang's analyzer (the neutral one for other languages).
// Analyzers hold no per-call state and are shared.
func Analyzer(lang string) analysis.Analyzer {
	name := AnalyzerName(lang)
	cacheMu.Lock()
	defer cacheMu.Unlock()
	if a, ok := analyzers[name]; ok {
		return a
	}
	a, err := regCache.AnalyzerNamed(name)
	if err != nil {
		panic("textlang: " + err.Error()) // registered in init: cannot fail
	}
	analyzers[name] = a
	return a
}

// Token is one analysed word: its term and where it stands in the text
// (byte offsets).
type Token struct {
	Term       string
	Start, End int
	Pos        int // the word's number in the text (stop words count)
}

// Analyze returns text's tokens in lang, in order (stop words removed).
func Analyze(lang, text string) []Token {
	ts := Analyzer(lang).Analyze([]byte(text))
	out := make([]Token, 0, len(ts))
	for _, t := range ts {
		if len(t.Term) == 0 {
			continue
		}
		out = append(out, Token{Term: string(t.Term), Start: t.Start, End: t.End, Pos: t.Position})
	}
	return out
}

// markers are frequent short words of each language, chosen so that few are
// shared between the languages; Detect counts them.
var markers = map[string]map[string]bool{
	"en": set("the of and to is that for with by which shall be are this from or any not have has it was an"),
	"fr": set("le la les des du et est une que qui pour dans par sur au aux sont ne pas il elle être ou cette"),
	"de": set("der die das und ist nicht ein eine zu den von mit dem des sich auf für wird oder auch wer werden"),
	"it": set("il lo gli della delle dei che è per con del una sono non nel nella alla chi essere o anche"),
	"es": set("el los las del que y es por con una para se su al como pero sus lo o también quien será"),
}

func set(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// Detect guesses the language of text among the site's languages: Russian
// by its Cyrillic letters, the others by their most frequent words. It
// returns "" when the text is too short or too mixed to tell.
func Detect(text string) string {
	if len(text) > 20000 {
		text = text[:20000]
	}
	var letters, cyrillic int
	for _, r := range text {
		if unicode.IsLetter(r) {
			letters++
			if unicode.Is(unicode.Cyrillic, r) {
				cyrillic++
			}
		}
	}
	if letters < 12 {
		return ""
	}
	if cyrillic*2 > letters {
		return "ru"
	}
	counts := map[string]int{}
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) }) {
		for lang, m := range markers {
			if m[w] {
				counts[lang]++
			}
		}
	}
	best, bestN, secondN := "", 0, 0
	for _, lang := range Languages {
		switch n := counts[lang]; {
		case n > bestN:
			best, bestN, secondN = lang, n, bestN
		case n > secondN:
			secondN = n
		}
	}
	// At least three marker words, and clearly more than the runner-up.
	if bestN < 3 || bestN < secondN+secondN/2+1 {
		return ""
	}
	return best
}
