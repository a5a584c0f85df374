package practice

import (
	"errors"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/polis-portal/polis/server/account"
	"github.com/polis-portal/polis/server/markdown"
	"github.com/polis-portal/polis/server/store"
)

// editor is the data of the staff's item editor.
type editor struct {
	Item      *store.Practice
	New       bool
	Langs     []string
	Kinds     []string
	Topics    []string
	Licences  []string
	Formats   []string
	Levels    []string
	Costs     []string
	Problems  []Problem
	Preview   template.HTML
	PrevLang  string
	Note      string
	Revisions []store.PracticeRevision
	Tool      *store.ToolInfo     // the item's, or empty fields to fill
	Training  *store.TrainingInfo // the same
}

func (h *Handler) newEditor(p *store.Practice, isNew bool) editor {
	e := editor{Item: p, New: isNew, Langs: h.Site.Codes(), Kinds: Kinds, Topics: Topics, Licences: Licences,
		Formats: Formats, Levels: Levels, Costs: Costs, Tool: &store.ToolInfo{}, Training: &store.TrainingInfo{}}
	if p.Tool != nil {
		e.Tool = p.Tool
	}
	if p.Training != nil {
		e.Training = p.Training
	}
	return e
}

// EditShow shows the editor: empty for a new item, filled for {slug}.
func (h *Handler) EditShow(w http.ResponseWriter, r *http.Request) {
	lang, _, ok := h.Gate.Enter(w, r, account.LevelStaff)
	if !ok {
		return
	}
	var e editor
	if slug := r.PathValue("slug"); slug != "" {
		p, err := h.Store.PracticeBySlug(r.Context(), slug, []string{"public", "experts"})
		if err != nil {
			h.Gate.NotFound(w, r, lang)
			return
		}
		e = h.newEditor(p, false)
		if e.Revisions, err = h.Store.PracticeRevisions(r.Context(), p.ID); err != nil {
			h.Gate.Fail(w, r, lang, err)
			return
		}
	} else {
		e = h.newEditor(&store.Practice{Kind: "guide", Audience: "public", Texts: map[string]store.PracticeText{},
			Date: h.Now().UTC().Format("2006-01-02")}, true)
	}
	h.Gate.Render(w, r, http.StatusOK, "staff_practice", h.Gate.Page(r, lang, "practiceEdit", "", e))
}

// Save checks and saves an item from the editor (a new revision with who
// saved it and the note), or shows a preview of the text.
func (h *Handler) Save(w http.ResponseWriter, r *http.Request) {
	lang, c, ok := h.Gate.Enter(w, r, account.LevelStaff)
	if !ok {
		return
	}
	ctx := r.Context()
	p := h.readForm(r)
	isNew := r.PathValue("slug") == ""
	if !isNew {
		cur, err := h.Store.PracticeBySlug(ctx, r.PathValue("slug"), []string{"public", "experts"})
		if err != nil {
			h.Gate.NotFound(w, r, lang)
			return
		}
		p.ID, p.Slug, p.SeedHash = cur.ID, cur.Slug, cur.SeedHash
	}
	e := h.newEditor(p, isNew)
	e.Note = strings.TrimSpace(r.PostFormValue("note"))
	if r.PostFormValue("action") == "preview" {
		e.PrevLang = r.PostFormValue("preview_lang")
		if _, ok := p.Texts[e.PrevLang]; !ok {
			e.PrevLang = h.Site.Default
		}
		e.Preview, _ = markdown.Render([]byte(p.Texts[e.PrevLang].Body), markdown.Options{IDPrefix: "preview-"})
		h.Gate.Render(w, r, http.StatusOK, "staff_practice", h.Gate.Page(r, lang, "practiceEdit", "", e))
		return
	}
	e.Problems = Check(p, h.Site.Default)
	if len(e.Problems) == 0 {
		p.UpdatedAt = h.Now().Unix()
		err := h.Store.SavePractice(ctx, p, c.User.ID, e.Note)
		if errors.Is(err, store.ErrDuplicate) {
			e.Problems = append(e.Problems, Problem{Key: "practiceErrSlugTaken"})
		} else if err != nil {
			h.Gate.Fail(w, r, lang, err)
			return
		}
	}
	if len(e.Problems) > 0 {
		h.Gate.Render(w, r, http.StatusUnprocessableEntity, "staff_practice", h.Gate.Page(r, lang, "practiceEdit", "", e))
		return
	}
	h.Gate.AuditEvent(ctx, r, c.User.ID, "practice.save", 0, p.Slug+": "+e.Note)
	account.SeeOther(w, r, "/"+lang+"/practices/"+p.Slug+"/")
}

// readForm builds an item from the editor's fields. Tool and training
// fields are kept only for items of that kind.
func (h *Handler) readForm(r *http.Request) *store.Practice {
	f := func(name string) string { return strings.TrimSpace(r.PostFormValue(name)) }
	year, _ := strconv.Atoi(f("source_year"))
	p := &store.Practice{Slug: f("slug"), Kind: f("kind"), Audience: f("audience"), Topics: r.PostForm["topics"],
		SourceLangs: splitCommas(f("source_langs")), Date: f("date"),
		Source: store.Source{Organisation: f("source_org"), Symbol: f("source_symbol"), Year: year, Title: f("source_title"), URL: f("source_url")},
		Texts:  map[string]store.PracticeText{}}
	switch p.Kind {
	case "tool":
		p.Tool = &store.ToolInfo{Purpose: f("tool_purpose"), Licence: f("tool_licence"), Obtain: f("tool_obtain"),
			Platforms: splitCommas(f("tool_platforms")), Maintainer: f("tool_maintainer"), Training: splitCommas(f("tool_training"))}
	case "training":
		p.Training = &store.TrainingInfo{Provider: f("training_provider"), Format: f("training_format"), Level: f("training_level"),
			Audience: f("training_audience"), Cost: f("training_cost")}
	}
	for _, l := range h.Site.Codes() {
		t := store.PracticeText{Title: f("title_" + l), Summary: f("summary_" + l), Body: strings.ReplaceAll(r.PostFormValue("body_"+l), "\r\n", "\n")}
		if t.Title != "" || t.Summary != "" || strings.TrimSpace(t.Body) != "" {
			p.Texts[l] = t
		}
	}
	return p
}

func splitCommas(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}
