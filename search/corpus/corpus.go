// Package corpus generates a synthetic multilingual corpus for the search
// benchmarks: documents in the six site languages and a few others, with
// each language's frequent words, a domain vocabulary in several inflected
// forms, and a long tail of made-up words, all drawn with Zipf-like
// frequencies; titles and bodies of realistic, skewed lengths; types,
// topics, countries, years and audiences in proportions like the portal's.
// It is deterministic for a seed. The text is meaningless and benign.
package corpus

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"time"
	"unicode"
)

// Doc is one generated document (the fields the search index takes).
type Doc struct {
	ID           string
	Type         string
	Lang         string
	Title        string
	Body         string
	URL          string
	Topics       []string
	Jurisdiction string
	Year         int
	Date         time.Time
	Audience     string // public, experts, group:<slug> or staff
}

// language is what the generator knows of a language.
type language struct {
	code      string
	weight    float64 // share of the corpus
	function  string  // its most frequent words, most frequent first
	domain    string  // words of the subject, with inflected forms
	syllables string  // from which the tail of the vocabulary is made
	cyrillic  bool
}

var languages = []language{
	{"en", 0.35,
		"the of and to in a is that for on be by as with this or are any which from it shall not an at such may other have has its was all",
		"child children abuse material materials online grooming groomed investigation investigations investigator investigators evidence police report reports reporting reported hotline hotlines victim victims identification protection offender offenders exploitation sexual platform platforms provider providers preservation court prosecution prosecutor training images image video videos extortion streaming live law laws legislation cooperation analysis forensic forensics device devices network encryption school parents teachers safety risk",
		"ar be con de di en er es in ing ion it la le ly ment or per pre pro re ri ro sion ta ter ti tion to ver", false},
	{"fr", 0.15,
		"de la le et les des du en un une est que pour dans qui par sur au aux ne pas il elle sont être ou cette ce son",
		"enfant enfants abus matériel contenus ligne enquête enquêtes enquêteur enquêteurs preuve preuves police signalement signalements signaler victime victimes identification protection auteur auteurs exploitation sexuelle sexuelles plateforme plateformes fournisseur conservation tribunal poursuite procureur formation images vidéo vidéos extorsion diffusion direct loi lois législation coopération analyse appareil réseau chiffrement école parents enseignants sécurité risque",
		"ai an au ce ci de é en è eu i in la le li ma me mi ne ni on ou pa pe que ré ri ro sa se si ta te ti tion", false},
	{"de", 0.12,
		"der die das und in den von zu mit ist nicht ein eine dem des sich auf für wird oder auch an werden bei nach wer",
		"kind kinder kindern missbrauch darstellungen inhalte internet ermittlung ermittlungen ermittler beweis beweise beweismittel polizei meldung meldungen melden opfer identifizierung schutz täter täterin ausbeutung sexuelle sexuellen plattform plattformen anbieter sicherung gericht strafverfolgung staatsanwaltschaft schulung bilder bild video videos erpressung übertragung gesetz gesetze gesetzgebung zusammenarbeit analyse gerät geräte netzwerk verschlüsselung schule eltern lehrkräfte sicherheit risiko",
		"ab an be ber ch de der ein en er ge gen hal hei ke keit lich lung men nach schaft schen sch ste ter tung un ver zu", false},
	{"it", 0.08,
		"di e il la che in a per un una del della dei con non è sono le gli al alla da si o come anche",
		"bambino bambini minore minori abuso materiale contenuti rete indagine indagini investigatore investigatori prova prove polizia segnalazione segnalazioni segnalare vittima vittime identificazione protezione autore autori sfruttamento sessuale sessuali piattaforma piattaforme fornitore conservazione tribunale procura formazione immagini video estorsione diretta legge leggi legislazione cooperazione analisi dispositivo rete crittografia scuola genitori insegnanti sicurezza rischio",
		"a ca ce chi co de di e gio i la le li ma men mi na ne no o pa pe ra re ri ro sa se si ta te ti to zio", false},
	{"ru", 0.12,
		"и в не на с что по к из у о за от для как это или его ее при быть также может",
		"ребенок ребенка дети детей насилие насилия материалы материалов интернет расследование расследования следователь следователи доказательство доказательства полиция сообщение сообщения сообщать жертва жертвы идентификация защита преступник преступники эксплуатация сексуальная сексуальной платформа платформы провайдер сохранение суд преследование прокурор обучение изображения изображение видео вымогательство трансляция закон законы законодательство сотрудничество анализ устройство сеть шифрование школа родители учителя безопасность риск",
		"ва ве во да де ен ка ко ла ли ло ма на не ни но ов ор по ра ре ро ск ст та те ти то ть ур ше", true},
	{"es", 0.10,
		"de la el y en que los las del un una por con para es se no al lo su como o más sus",
		"niño niños menor menores abuso material contenidos línea investigación investigaciones investigador investigadores prueba pruebas policía denuncia denuncias denunciar víctima víctimas identificación protección autor autores explotación sexual sexuales plataforma plataformas proveedor conservación tribunal fiscalía fiscal formación imágenes vídeo vídeos extorsión directo ley leyes legislación cooperación análisis dispositivo red cifrado escuela padres docentes seguridad riesgo",
		"a ba ca ción co da de do e en es ga i la le li lo ma me mi na ne no o pa pe ra re ri ro sa ta te to", false},
	{"pl", 0.05,
		"i w nie na z się do że o jest to jak po przez lub oraz",
		"dziecko dzieci wykorzystywanie materiały internet śledztwo dowody policja zgłoszenie ofiara ochrona sprawca platforma sąd szkolenie obrazy ustawa prawo",
		"cha cie dzi ka ko la li ło ma na nie no po prze ra ro sta sz ta to wa wie za", false},
	{"uk", 0.03,
		"і в не на з що до як за від це або його також",
		"дитина дітей насильство матеріали інтернет розслідування докази поліція повідомлення жертва захист кривдник платформа суд навчання закон",
		"ва ві да де ка ко ла ли ма на не ні но по ра ре ро ст та ти то", true},
}

var (
	types     = []string{"post", "practice", "library", "page", "glossary", "tool", "training", "workshop"}
	typeShare = []float64{0.55, 0.14, 0.12, 0.08, 0.04, 0.03, 0.02, 0.02}
	topics    = []string{"victim-identification", "digital-forensics", "online-investigation", "live-streaming", "financial-investigation",
		"international-cooperation", "hotline-and-takedown", "prevention-and-awareness", "offender-management", "victim-support", "legislation"}
	countries = strings.Fields("AL AT BE BG CA CH CY CZ DE DK EE ES FI FR GB GE GR HR HU IE IS IT KZ LT LU LV MD ME MK MT NL NO PL PT RO RS RU SE SI SK TR UA US UZ")
	audiences = []string{"public", "experts", "group:vid", "group:forensics", "staff"}
	audShare  = []float64{0.40, 0.45, 0.06, 0.04, 0.05}
)

// vocabularySize is the number of distinct words per language.
const vocabularySize = 30000

// zipfS is the exponent of the word frequencies (close to natural text).
const zipfS = 1.07

// vocab is a language's words, most frequent first, with the cumulative
// distribution to draw them.
type vocab struct {
	lang  language
	words []string
	cdf   []float64
}

func newVocab(l language, r *rand.Rand) *vocab {
	v := &vocab{lang: l}
	seen := map[string]bool{}
	add := func(w string) {
		if w != "" && !seen[w] {
			seen[w] = true
			v.words = append(v.words, w)
		}
	}
	for _, w := range strings.Fields(l.function) {
		add(w)
	}
	// The domain words spread over the upper ranks, among made-up words.
	domain := strings.Fields(l.domain)
	syl := strings.Fields(l.syllables)
	for len(v.words) < vocabularySize {
		if len(domain) > 0 && r.Float64() < 0.15 {
			add(domain[0])
			domain = domain[1:]
			continue
		}
		n := 1 + r.IntN(3) + r.IntN(2)
		var b strings.Builder
		for range n {
			b.WriteString(syl[r.IntN(len(syl))])
		}
		add(b.String())
	}
	v.cdf = make([]float64, len(v.words))
	sum := 0.0
	for i := range v.words {
		sum += 1 / math.Pow(float64(i+1), zipfS)
		v.cdf[i] = sum
	}
	for i := range v.cdf {
		v.cdf[i] /= sum
	}
	return v
}

// word draws a word; content words skip the function words (titles).
func (v *vocab) word(r *rand.Rand, content bool) string {
	for {
		i := sort.SearchFloat64s(v.cdf, r.Float64())
		if i >= len(v.words) {
			i = len(v.words) - 1
		}
		if !content || i >= len(strings.Fields(v.lang.function)) {
			return v.words[i]
		}
	}
}

func capitalise(w string) string {
	for i, c := range w {
		return string(unicode.ToUpper(c)) + w[i+len(string(c)):]
	}
	return w
}

// Generate returns n documents for seed.
func Generate(n int, seed uint64) []Doc {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	vocabs := make([]*vocab, len(languages))
	langCDF := make([]float64, len(languages))
	sum := 0.0
	for i, l := range languages {
		vocabs[i] = newVocab(l, r)
		sum += l.weight
		langCDF[i] = sum
	}
	pick := func(shares []float64) int {
		x, acc := r.Float64(), 0.0
		for i, s := range shares {
			acc += s
			if x < acc {
				return i
			}
		}
		return len(shares) - 1
	}
	base := time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC)
	docs := make([]Doc, n)
	for i := range docs {
		v := vocabs[sort.SearchFloat64s(langCDF, r.Float64()*sum)]
		d := &docs[i]
		d.Lang = v.lang.code
		d.Type = types[pick(typeShare)]
		d.ID = fmt.Sprintf("%s:%s:%d", d.Type, d.Lang, i)
		d.URL = fmt.Sprintf("/%s/%s/%d", d.Lang, d.Type, i)
		d.Audience = audiences[pick(audShare)]
		if d.Type == "page" || d.Type == "glossary" || d.Type == "library" {
			d.Audience = "public"
		}
		d.Topics = []string{topics[r.IntN(len(topics))]}
		if r.Float64() < 0.4 {
			d.Topics = append(d.Topics, topics[r.IntN(len(topics))])
		}
		if r.Float64() < 0.5 {
			d.Jurisdiction = countries[r.IntN(len(countries))]
		}
		d.Date = base.Add(time.Duration(r.Int64N(int64(16 * 365 * 24 * time.Hour))))
		d.Year = d.Date.Year()

		// Titles of 3 to 12 words; bodies log-normal around 180 words
		// (a forum post), with a long tail to a few thousand (a report).
		tw := 3 + r.IntN(10)
		var title []string
		for range tw {
			title = append(title, v.word(r, true))
		}
		d.Title = capitalise(strings.Join(title, " "))
		bw := int(math.Exp(5.2 + 0.9*r.NormFloat64()))
		bw = min(max(bw, 12), 6000)
		var b strings.Builder
		for w := 0; w < bw; {
			sl := 6 + r.IntN(18)
			for k := 0; k < sl && w < bw; k++ {
				word := v.word(r, false)
				if k == 0 {
					word = capitalise(word)
				}
				if k > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(word)
				w++
			}
			b.WriteString(". ")
			if r.Float64() < 0.12 {
				b.WriteString("\n\n")
			}
		}
		d.Body = b.String()
	}
	return docs
}

// Query is one of the fixed benchmark queries: text in the portal's query
// syntax and the language it is written in.
type Query struct {
	Text string
	Lang string
}

// Queries is the fixed set of benchmark queries: single words, two and
// three words, inflected forms, a phrase, an exclusion, a filter, in each
// of the six site languages.
var Queries = []Query{
	{"grooming", "en"}, {"online investigation", "en"}, {"evidence preservation police", "en"},
	{`"victim identification"`, "en"}, {"hotline reports -training", "en"}, {"investigators type:practice", "en"},
	{"extortion", "en"}, {"forensic device analysis", "en"},
	{"enquête", "fr"}, {"signalement plateformes", "fr"}, {"protection victimes", "fr"},
	{"Ermittlungen", "de"}, {"Beweise Polizei", "de"},
	{"indagini", "it"}, {"segnalazione vittime", "it"},
	{"расследование", "ru"}, {"защита детей", "ru"},
	{"investigación", "es"}, {"denuncias plataformas", "es"}, {"protección víctimas", "es"},
}
