package practice

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/polis-portal/polis/server/store"
)

// Problem is one thing wrong with an item: an i18n key (and its argument)
// for the staff's editor, and the same in English for the seed files'
// validation, which developers read.
type Problem struct {
	Key string
	Arg string
	Msg string
}

// Check validates an item's metadata and its text in defLang (the
// language whose text every item must have). Seeds and the web editor
// both use it, so an item is valid by the same rules whichever way it
// came in.
func Check(p *store.Practice, defLang string) []Problem {
	var out []Problem
	add := func(key, arg, format string, args ...any) {
		out = append(out, Problem{Key: key, Arg: arg, Msg: fmt.Sprintf(format, args...)})
	}
	need := func(v, field string) {
		if strings.TrimSpace(v) == "" {
			add("practiceErrRequired", field, "missing required field %s", field)
		}
	}
	t := p.Texts[defLang]
	need(t.Title, "title")
	need(t.Summary, "summary")
	if strings.TrimSpace(t.Body) == "" {
		add("practiceErrRequired", "body", "the body (after the front matter) is empty")
	}
	// An imported document has a file, not necessarily an organisation or
	// a link.
	imported := p.Kind == "document"
	if !imported {
		need(p.Source.Organisation, "source.organisation")
	}
	need(p.Source.Title, "source.title")
	if !slugPattern.MatchString(p.Slug) {
		add("practiceErrSlug", "", "the file name must be lower-case words joined by hyphens")
	}
	if !slices.Contains(Kinds, p.Kind) {
		add("practiceErrChoice", "kind", "kind %q is not one of %s", p.Kind, strings.Join(Kinds, ", "))
	}
	if len(p.Topics) == 0 && !imported {
		add("practiceErrRequired", "topics", "missing required field topics")
	}
	for _, tp := range p.Topics {
		if !slices.Contains(Topics, tp) {
			add("practiceErrChoice", "topics", "unknown topic %q (the list: %s)", tp, strings.Join(Topics, ", "))
		}
	}
	if p.Audience != "public" && p.Audience != "experts" {
		add("practiceErrChoice", "audience", "audience %q must be public or experts", p.Audience)
	}
	if len(p.SourceLangs) == 0 {
		add("practiceErrRequired", "languages", "missing required field languages")
	}
	for _, l := range p.SourceLangs {
		if !langPattern.MatchString(l) {
			add("practiceErrChoice", "languages", "language %q is not an ISO 639-1 code", l)
		}
	}
	if _, err := time.Parse("2006-01-02", p.Date); err != nil {
		add("practiceErrRequired", "date", "missing or invalid date")
	}
	if y := p.Source.Year; y < 1980 || y > time.Now().Year()+1 {
		add("practiceErrChoice", "source.year", "source.year %d is not a plausible year", y)
	}
	if u, err := url.Parse(p.Source.URL); (p.Source.URL != "" || !imported) && (p.Source.URL == "" || err != nil || u.Scheme != "https" || u.Host == "" ||
		strings.ContainsAny(p.Source.URL, " \t\n<>\"")) {
		add("practiceErrURL", "", "source.url %q must be an absolute https:// link", p.Source.URL)
	}

	switch p.Kind {
	case "tool":
		if p.Tool == nil {
			add("practiceErrRequired", "tool", "a tool needs a [tool] table")
			break
		}
		need(p.Tool.Purpose, "tool.purpose")
		need(p.Tool.Obtain, "tool.obtain")
		need(p.Tool.Maintainer, "tool.maintainer")
		if !slices.Contains(Licences, p.Tool.Licence) {
			add("practiceErrChoice", "tool.licence", "tool.licence %q is not one of %s", p.Tool.Licence, strings.Join(Licences, ", "))
		}
		if p.Audience != "experts" {
			add("practiceErrToolAudience", "", "tools are for experts only: audience must be experts")
		}
	case "training":
		if p.Training == nil {
			add("practiceErrRequired", "training", "a training offer needs a [training] table")
			break
		}
		need(p.Training.Provider, "training.provider")
		need(p.Training.Audience, "training.audience")
		for _, c := range []struct {
			field, v string
			list     []string
		}{{"training.format", p.Training.Format, Formats}, {"training.level", p.Training.Level, Levels}, {"training.cost", p.Training.Cost, Costs}} {
			if !slices.Contains(c.list, c.v) {
				add("practiceErrChoice", c.field, "%s %q is not one of %s", c.field, c.v, strings.Join(c.list, ", "))
			}
		}
	}
	if (p.Tool != nil && p.Kind != "tool") || (p.Training != nil && p.Kind != "training") {
		add("practiceErrChoice", "kind", "[tool] and [training] tables belong to items of that kind only")
	}
	return out
}
