package search

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Parsed is a query as the reader wrote it: words, "phrases", -exclusions
// and field filters (type:, lang:, topic:, country:, year:2011..2014).
type Parsed struct {
	Words      []string
	Phrases    []string
	NotWords   []string
	NotPhrases []string
	Types      []string
	Kinds      []string
	Langs      []string
	Topics     []string
	Countries  []string
	YearFrom   int // 0: open
	YearTo     int // 0: open
}

// maxQueryRunes bounds a query: longer text is cut, never an error.
const maxQueryRunes = 500

// typeAliases lets readers write the words they think of.
var typeAliases = map[string]string{
	"law": "library", "laws": "library", "legislation": "library", "article": "library",
	"guide": "practice", "practices": "practice", "document": "practice",
	"forum": "post", "posts": "post", "page": "page", "pages": "page",
	"term": "glossary", "glossary": "glossary", "tool": "tool", "tools": "tool", "training": "training",
	"workshop": "workshop", "workshops": "workshop", "practice": "practice", "library": "library", "post": "post",
}

// Parse reads a query. Anything it does not understand is a word: a
// reader's query never fails.
func Parse(q string) Parsed {
	if utf8.RuneCountInString(q) > maxQueryRunes {
		q = string([]rune(q)[:maxQueryRunes])
	}
	var p Parsed
	rest := strings.TrimSpace(q)
	for rest != "" {
		neg := false
		if rest[0] == '-' && len(rest) > 1 && rest[1] != ' ' {
			neg, rest = true, rest[1:]
		}
		var tok string
		quoted := false
		if rest[0] == '"' {
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 {
				tok, rest = rest[1:], ""
			} else {
				tok, rest = rest[1:end+1], rest[end+2:]
			}
			quoted = true
		} else {
			end := strings.IndexFunc(rest, unicode.IsSpace)
			if end < 0 {
				end = len(rest)
			}
			tok, rest = rest[:end], rest[end:]
		}
		rest = strings.TrimLeftFunc(rest, unicode.IsSpace)
		tok = strings.TrimSpace(tok)
		if tok == "" {
			continue
		}
		if !quoted && !neg && p.filter(tok) {
			continue
		}
		switch {
		case quoted && neg:
			p.NotPhrases = append(p.NotPhrases, tok)
		case quoted:
			p.Phrases = append(p.Phrases, tok)
		case neg:
			p.NotWords = append(p.NotWords, tok)
		default:
			p.Words = append(p.Words, tok)
		}
	}
	return p
}

// filter takes "field:value" when field is one of the filters.
func (p *Parsed) filter(tok string) bool {
	field, value, ok := strings.Cut(tok, ":")
	if !ok || value == "" {
		return false
	}
	value = strings.ToLower(value)
	switch strings.ToLower(field) {
	case "type":
		if t, ok := typeAliases[value]; ok {
			p.Types = append(p.Types, t)
			return true
		}
		p.Kinds = append(p.Kinds, value) // national-law, guide, …
		return true
	case "lang", "language":
		p.Langs = append(p.Langs, value)
	case "topic":
		p.Topics = append(p.Topics, value)
	case "country", "jurisdiction":
		p.Countries = append(p.Countries, strings.ToUpper(value))
	case "year":
		from, to, isRange := strings.Cut(value, "..")
		a, errA := strconv.Atoi(from)
		b, errB := strconv.Atoi(to)
		switch {
		case !isRange && errA == nil:
			p.YearFrom, p.YearTo = a, a
		case isRange && (errA == nil || from == "") && (errB == nil || to == ""):
			p.YearFrom, p.YearTo = a, b
		default:
			return false
		}
	default:
		return false
	}
	return true
}

// Empty reports whether the query asks for nothing to match (filters
// alone may still list documents).
func (p Parsed) Empty() bool { return len(p.Words) == 0 && len(p.Phrases) == 0 }

// Text is the positive words and phrases, for spelling and glossary
// matching.
func (p Parsed) Text() string {
	return strings.Join(append(append([]string{}, p.Words...), p.Phrases...), " ")
}
