package textlang

import (
	"slices"
	"sync"
	"testing"
)

func terms(lang, text string) []string {
	var out []string
	for _, t := range Analyze(lang, text) {
		out = append(out, t.Term)
	}
	return out
}

// TestInflectedFormsMeet: in each language, two inflected forms of a word
// analyse to the same term, and accents do not matter (issue 7, issue 8).
func TestInflectedFormsMeet(t *testing.T) {
	for _, c := range []struct{ lang, a, b string }{
		{"en", "possessing", "possession"},
		{"en", "distributes", "distributed"},
		{"fr", "détention", "detention"},
		{"fr", "enfants", "enfant"},
		{"de", "Kinder", "Kindern"},
		{"it", "minorenni", "minorenne"},
		{"ru", "распространение", "распространения"},
		{"ru", "ребёнка", "ребенка"},
		{"es", "niños", "ninos"},
		{"es", "posesión", "posesion"},
		{"es", "niño", "niños"},
		{"es", "investigador", "investigadores"},
		{"fr", "enquêteur", "enquêteurs"},
		{"de", "Ermittlung", "Ermittlungen"},
		{"it", "indagine", "indagini"},
		{"ru", "доказательство", "доказательства"},
		{"en", "investigator", "investigators"},
	} {
		a, b := terms(c.lang, c.a), terms(c.lang, c.b)
		if len(a) != 1 || !slices.Equal(a, b) {
			t.Errorf("%s: %q → %v, %q → %v: want one equal term", c.lang, c.a, a, c.b, b)
		}
	}
	// Stop words go; offsets point into the text.
	text := "Possession of the material"
	toks := Analyze("en", text)
	if len(toks) != 2 || text[toks[1].Start:toks[1].End] != "material" {
		t.Errorf("tokens %+v", toks)
	}
	// Other languages get the neutral analyzer: folded, not stemmed.
	if got := terms("pl", "Pornografia Dziecięca"); !slices.Equal(got, []string{"pornografia", "dziecieca"}) {
		t.Errorf("neutral: %v", got)
	}
}

func TestDetect(t *testing.T) {
	for want, text := range map[string]string{
		"en": "A person who knowingly possesses child sexual abuse material shall be liable to imprisonment for a term of years.",
		"fr": "Le fait de détenir une image à caractère pornographique d'un mineur est puni de cinq ans d'emprisonnement et de la peine prévue par la loi.",
		"de": "Wer einen kinderpornographischen Inhalt besitzt oder sich den Besitz verschafft, wird mit Freiheitsstrafe bestraft, wenn die Tat nicht in anderen Vorschriften steht.",
		"it": "Chiunque detiene materiale pedopornografico è punito con la reclusione, e la pena è aumentata se il materiale è di ingente quantità per il minore.",
		"ru": "Изготовление и оборот материалов с порнографическими изображениями несовершеннолетних наказываются лишением свободы.",
		"es": "El que para su propio uso adquiera o posea pornografía infantil será castigado con la pena de prisión por el juez con los medios que se establezcan.",
		"":   "Article 5",
	} {
		if got := Detect(text); got != want {
			t.Errorf("Detect(%.30q) = %q, want %q", text, got, want)
		}
	}
}

// TestAnalyzersConcurrently: the shared analyzers are safe to use from
// many requests at once (run with -race).
func TestAnalyzersConcurrently(t *testing.T) {
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lang := Languages[i%len(Languages)]
			for range 50 {
				if len(Analyze(lang, "possession détention Besitz detenzione хранение posesión")) == 0 {
					t.Error("no tokens")
				}
			}
		}()
	}
	wg.Wait()
}

// TestTokenizer: words as the portal's languages write them; an apostrophe
// inside a word stays for the elision and possessive filters.
func TestTokenizer(t *testing.T) {
	for text, want := range map[string][]string{
		"Le fait d'un mineur":       {"Le", "fait", "d'un", "mineur"},
		"the child's e-mail, 2024.": {"the", "child's", "e", "mail", "2024"},
		"l’enfant 'quoted' words'":  {"l’enfant", "quoted", "words"},
		"Ёлка — ребёнок!":           {"Ёлка", "ребёнок"},
		"naïve café x2 日本語":         {"naïve", "café", "x2", "日", "本", "語"},
		"":                          nil,
	} {
		var got []string
		for _, tok := range (wordTokenizer{}).Tokenize([]byte(text)) {
			got = append(got, string(tok.Term))
		}
		if !slices.Equal(got, want) {
			t.Errorf("%q → %q, want %q", text, got, want)
		}
	}
	// Folding never writes into the text being analysed.
	text := []byte("ребёнок")
	Analyze("ru", string(text))
	b := []byte("ёлка")
	fold(b)
	if string(b) != "ёлка" {
		t.Error("fold wrote into its input")
	}
}
