package search

import (
	"time"

	"github.com/polis-portal/polis/search/textlang"
)

// Doc is one searchable thing, as the collections hand it to the index:
// an awareness page, a best-practice entry in one language, a library
// article in one language, a glossary concept in one language, a workshop
// summary, a forum post. Its text goes into the fields of its language,
// analysed by that language's analyzer.
type Doc struct {
	ID           string    // unique in the index: "<type>:<key>", see the collections
	Type         string    // page, practice, tool, training, library, glossary, workshop, post
	Kind         string    // finer: the practice's or the library document's kind
	Lang         string    // ISO 639-1
	Title        string    // plain text
	Summary      string    // plain text, shown under the title; may be empty
	Body         string    // plain text
	URL          string    // where the reader goes, relative to the site: /en/…
	Topics       []string  // controlled keys
	Jurisdiction string    // ISO 3166-1 alpha-2 or an organisation code
	Year         int       // 0 when the thing has none
	Date         time.Time // of the thing (publication, post), zero when unknown
	// Audience is who may read it: "public", "experts", "staff",
	// "group:<slug>". A viewer matches if they hold any of these.
	Audience []string
}

// Audience tokens.
const (
	Public  = "public"
	Experts = "experts"
	Staff   = "staff"
)

// Group is the audience token of a named group.
func Group(slug string) string { return "group:" + slug }

// Field names. Text is in title_<lang> and body_<lang>, "xx" for the
// languages without their own analysis.
const (
	fType         = "type"
	fKind         = "kind"
	fLang         = "lang"
	fTopics       = "topics"
	fJurisdiction = "jurisdiction"
	fYear         = "year"
	fDateKey      = "date" // days since 1970, as a keyword: sorts and shows (few distinct terms)
	fAudience     = "audience"
	fTitle        = "title" // stored for display, not indexed
	fSummary      = "summary"
	fURL          = "url"
	fSpell        = "spell" // title and summary words, for corrections and completions
)

// neutral is the field suffix of languages without their own analysis.
const neutral = "xx"

// fieldLang is the field suffix for lang.
func fieldLang(lang string) string {
	for _, l := range textlang.Languages {
		if l == lang {
			return l
		}
	}
	return neutral
}

// fieldLangs are every field suffix, each language's then the neutral one.
var fieldLangs = append(append([]string{}, textlang.Languages...), neutral)

func titleField(lang string) string { return "title_" + fieldLang(lang) }
func bodyField(lang string) string  { return "body_" + fieldLang(lang) }

// analyzerFor is the registered analyzer of a field suffix.
func analyzerFor(suffix string) string {
	if suffix == neutral {
		return textlang.AnalyzerName("")
	}
	return textlang.AnalyzerName(suffix)
}
