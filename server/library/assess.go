package library

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/polis-portal/polis/search/textlang"
	"github.com/polis-portal/polis/server/account"
	"github.com/polis-portal/polis/server/store"
)

// Limits of the self-assessment.
const (
	maxDraftBytes = 512 << 10 // a long draft law is a few hundred KB of text
	maxTitleRunes = 200
)

// assessment is what the drafter submitted: the draft, its language, the
// elements they marked as covered. Nothing of it is stored unless a
// signed-in member saves it.
type assessment struct {
	DraftID int64 // a saved draft being worked on, or 0
	Title   string
	Lang    string // the draft's language as chosen: "" means detect
	Text    string
	Covered []string
}

// assessRow is one checklist element in the result.
type assessRow struct {
	checklistItem
	Covered   bool
	Suggested bool
	Count     int
	Found     []Found
}

// assessPage is the self-assessment page: the form, and after a check the
// result and the gap report.
type assessPage struct {
	A         assessment
	Elements  []elementView
	Langs     []facet
	Error     string // an i18n key
	Checked   bool
	DraftLang string // the language the draft was read in
	Detected  bool   // DraftLang was detected, not chosen
	Rows      []assessRow
	Gaps      []assessRow
	Marked    int
	Suggested int
	Member    bool
	Saved     []store.LibraryDraft
	Date      string
}

func (h *Handler) newAssessPage(lang string, a assessment) assessPage {
	p := assessPage{A: a, Elements: h.elements(lang), Date: h.Now().UTC().Format("2006-01-02")}
	for _, l := range textlang.Languages {
		p.Langs = append(p.Langs, facet{Value: l, Name: langName(l)})
	}
	return p
}

// AssessShow is the empty form, with a member's saved drafts.
func (h *Handler) AssessShow(w http.ResponseWriter, r *http.Request) {
	lang, ok := h.Gate.Lang(w, r)
	if !ok {
		return
	}
	p := h.newAssessPage(lang, assessment{})
	if !h.withSaved(w, r, lang, &p) {
		return
	}
	h.render(w, r, lang, http.StatusOK, p)
}

// withSaved adds a signed-in member's saved drafts to the page.
func (h *Handler) withSaved(w http.ResponseWriter, r *http.Request, lang string, p *assessPage) bool {
	u := member(r)
	if u == nil {
		return true
	}
	p.Member = true
	saved, err := h.Store.LibraryDrafts(r.Context(), u.ID)
	if err != nil {
		h.Gate.Fail(w, r, lang, err)
		return false
	}
	p.Saved = saved
	return true
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, lang string, status int, p assessPage) {
	title := h.Catalog.T(lang, "libraryAssessTitle")
	if p.Checked && p.A.Title != "" {
		title += ": " + p.A.Title
	}
	// The page may show the draft: never kept by a browser or a proxy.
	w.Header().Set("Cache-Control", "no-store")
	h.Gate.Render(w, r, status, "library_assess", h.page(r, lang, title, p, false))
}

// readAssessment reads the form: the text from the text area or from an
// uploaded text file. A problem is returned as an i18n key with the form
// as submitted, so nothing typed is lost.
func (h *Handler) readAssessment(r *http.Request) (assessment, string) {
	var a assessment
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		if err := r.ParseMultipartForm(maxDraftBytes); err != nil {
			return a, "libraryAssessErrTooLarge"
		}
	} else if err := r.ParseForm(); err != nil {
		return a, "libraryAssessErrTooLarge"
	}
	a.Title = strings.TrimSpace(r.PostFormValue("title"))
	if utf8.RuneCountInString(a.Title) > maxTitleRunes {
		a.Title = string([]rune(a.Title)[:maxTitleRunes])
	}
	a.Text = strings.ReplaceAll(r.PostFormValue("draft"), "\r\n", "\n")
	if l := r.PostFormValue("lang"); slices.Contains(textlang.Languages, l) {
		a.Lang = l
	}
	for _, e := range r.PostForm["covered"] {
		if h.Lib.Element(e) != nil && !slices.Contains(a.Covered, e) {
			a.Covered = append(a.Covered, e)
		}
	}
	a.DraftID = int64(atoi(r.PostFormValue("draft_id")))
	if r.MultipartForm != nil {
		if fhs := r.MultipartForm.File["file"]; len(fhs) > 0 && fhs[0].Size > 0 {
			text, problem := readTextFile(fhs[0])
			if problem != "" {
				return a, problem
			}
			a.Text = text
			if a.Title == "" {
				a.Title = strings.TrimSuffix(fhs[0].Filename, ".txt")
			}
		}
	}
	switch {
	case strings.TrimSpace(a.Text) == "":
		return a, "libraryAssessErrEmpty"
	case len(a.Text) > maxDraftBytes:
		return a, "libraryAssessErrTooLarge"
	case !utf8.ValidString(a.Text):
		return a, "libraryAssessErrNotText"
	}
	return a, ""
}

// readTextFile reads an uploaded draft: plain text in UTF-8 (a byte order
// mark is dropped), nothing else. Word processor files and PDFs are
// refused with a message that says to paste the text or save it as text.
func readTextFile(fh *multipart.FileHeader) (string, string) {
	if fh.Size > maxDraftBytes {
		return "", "libraryAssessErrTooLarge"
	}
	f, err := fh.Open()
	if err != nil {
		return "", "libraryAssessErrNotText"
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxDraftBytes+1))
	if err != nil || len(b) > maxDraftBytes {
		return "", "libraryAssessErrTooLarge"
	}
	b = bytes.TrimPrefix(b, []byte("\ufeff"))
	if !utf8.Valid(b) || bytes.IndexByte(b, 0) >= 0 {
		return "", "libraryAssessErrNotText"
	}
	return strings.ReplaceAll(string(b), "\r\n", "\n"), ""
}

// check runs the assessment: the draft's language (chosen or detected),
// the suggestions, and each element's status.
func (h *Handler) check(lang string, a assessment) assessPage {
	p := h.newAssessPage(lang, a)
	p.Checked = true
	p.DraftLang = a.Lang
	if p.DraftLang == "" {
		p.DraftLang, p.Detected = textlang.Detect(a.Text), true
		if p.DraftLang == "" {
			p.DraftLang = lang // too short to tell: the reader's language
		}
	}
	found := map[string]Suggestion{}
	for _, s := range h.Matcher.Suggest(a.Text, p.DraftLang) {
		found[s.Element.ID] = s
	}
	for _, item := range h.checklist(lang) {
		s := found[item.ID]
		row := assessRow{checklistItem: item, Covered: slices.Contains(a.Covered, item.ID), Suggested: s.Count > 0, Count: s.Count, Found: s.Found}
		p.Rows = append(p.Rows, row)
		if row.Covered {
			p.Marked++
		} else {
			p.Gaps = append(p.Gaps, row)
			if row.Suggested {
				p.Suggested++
			}
		}
	}
	return p
}

// form reads the submitted form; when it has a problem, the form is shown
// again with the message and everything submitted, and ok is false.
func (h *Handler) form(w http.ResponseWriter, r *http.Request, lang string) (a assessment, ok bool) {
	a, problem := h.readAssessment(r)
	if problem == "" {
		return a, true
	}
	p := h.newAssessPage(lang, a)
	p.Error = problem
	if h.withSaved(w, r, lang, &p) {
		h.render(w, r, lang, http.StatusUnprocessableEntity, p)
	}
	return a, false
}

// Assess checks a draft and shows the result with the gap report. The
// draft is read, matched and sent back in the page, and forgotten.
func (h *Handler) Assess(w http.ResponseWriter, r *http.Request) {
	lang, ok := h.Gate.Lang(w, r)
	if !ok {
		return
	}
	a, ok := h.form(w, r, lang)
	if !ok {
		return
	}
	p := h.check(lang, a)
	if !h.withSaved(w, r, lang, &p) {
		return
	}
	h.render(w, r, lang, http.StatusOK, p)
}

// Report is the gap report as a Markdown file, made from the same form.
func (h *Handler) Report(w http.ResponseWriter, r *http.Request) {
	lang, ok := h.Gate.Lang(w, r)
	if !ok {
		return
	}
	a, ok := h.form(w, r, lang)
	if !ok {
		return
	}
	p := h.check(lang, a)
	w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="polis-gap-report-`+p.Date+`.md"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write([]byte(h.reportMarkdown(lang, p)))
}

// reportMarkdown writes the gap report: what the drafter marked, the gaps
// with what requires them and the model provisions to consider, and the
// suggestions to check. It carries the draft's title, never its text.
func (h *Handler) reportMarkdown(lang string, p assessPage) string {
	T := func(key string, args ...any) string { return h.Catalog.T(lang, key, args...) }
	base := strings.TrimSuffix(h.Site.BaseURL, "/")
	var b strings.Builder
	title := T("libraryReportTitle")
	if p.A.Title != "" {
		title += ": " + p.A.Title
	}
	fmt.Fprintf(&b, "# %s\n\n", title)
	fmt.Fprintf(&b, "%s: %s · %s: %s\n\n", T("libraryReportDate"), p.Date, T("libraryAssessDraftLang"), langName(p.DraftLang))
	fmt.Fprintf(&b, "> %s\n\n", T("libraryDraftingAid"))
	fmt.Fprintf(&b, "%s\n\n", T("libraryReportCounts", map[string]any{"Marked": p.Marked, "Total": len(p.Rows), "Gaps": len(p.Gaps)}))
	fmt.Fprintf(&b, "## %s\n\n", T("libraryReportCovered"))
	n := 0
	for _, row := range p.Rows {
		if row.Covered {
			fmt.Fprintf(&b, "- %s\n", row.Name)
			n++
		}
	}
	if n == 0 {
		fmt.Fprintf(&b, "- %s\n", T("libraryReportNone"))
	}
	fmt.Fprintf(&b, "\n## %s\n\n", T("libraryReportGaps"))
	for _, row := range p.Gaps {
		fmt.Fprintf(&b, "### %s\n\n%s\n\n", row.Name, row.Definition)
		if row.Suggested {
			fmt.Fprintf(&b, "**%s** ", T("libraryAssessSuggested"))
			for i, f := range row.Found {
				if i > 0 {
					b.WriteString("; ")
				}
				fmt.Fprintf(&b, "“%s%s%s”", f.Before, f.Match, f.After)
			}
			b.WriteString("\n\n")
		}
		if len(row.Required) > 0 {
			fmt.Fprintf(&b, "%s\n\n", T("libraryRequiredBy"))
			for _, ref := range row.Required {
				fmt.Fprintf(&b, "- %s, %s — %s\n", ref.DocShort, ref.Label, base+ref.URL)
			}
			b.WriteString("\n")
		}
		if len(row.Model) > 0 {
			fmt.Fprintf(&b, "%s\n\n", T("libraryModelToConsider"))
			for _, ref := range row.Model {
				fmt.Fprintf(&b, "- %s — %s — %s\n", ref.Label, ref.Title, base+ref.URL)
			}
			b.WriteString("\n")
		}
	}
	if len(p.Gaps) == 0 {
		fmt.Fprintf(&b, "%s\n\n", T("libraryReportNone"))
	}
	fmt.Fprintf(&b, "---\n%s %s\n", T("libraryReportFooter"), base+"/"+lang+"/library/checklist/")
	return b.String()
}

// Save keeps a signed-in member's draft and marks (new, or an update of
// their own saved draft), then shows it again.
func (h *Handler) Save(w http.ResponseWriter, r *http.Request) {
	lang, c, ok := h.Gate.Enter(w, r, account.LevelExpert)
	if !ok {
		return
	}
	a, ok := h.form(w, r, lang)
	if !ok {
		return
	}
	d := &store.LibraryDraft{ID: a.DraftID, UserID: c.User.ID, Title: a.Title, Lang: a.Lang, Body: a.Text, Covered: a.Covered,
		UpdatedAt: h.Now().Unix()}
	if d.Title == "" {
		d.Title = h.Catalog.T(lang, "libraryAssessUntitled") + " " + time.Unix(d.UpdatedAt, 0).UTC().Format("2006-01-02 15:04")
	}
	err := h.Store.SaveLibraryDraft(r.Context(), d)
	if errors.Is(err, store.ErrNotFound) {
		h.Gate.NotFound(w, r, lang) // someone else's draft id
		return
	}
	if err != nil {
		h.Gate.Fail(w, r, lang, err)
		return
	}
	account.SeeOther(w, r, "/"+lang+"/library/assess/saved/"+strconv.FormatInt(d.ID, 10))
}

// Saved opens a member's saved draft, checked again against the current
// checklist. Only its owner may open it; anyone else gets a 404.
func (h *Handler) Saved(w http.ResponseWriter, r *http.Request) {
	lang, c, ok := h.Gate.Enter(w, r, account.LevelExpert)
	if !ok {
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("draft"), 10, 64)
	d, err := h.Store.LibraryDraft(r.Context(), id, c.User.ID)
	if errors.Is(err, store.ErrNotFound) {
		h.Gate.NotFound(w, r, lang)
		return
	}
	if err != nil {
		h.Gate.Fail(w, r, lang, err)
		return
	}
	p := h.check(lang, assessment{DraftID: d.ID, Title: d.Title, Lang: d.Lang, Text: d.Body, Covered: d.Covered})
	if !h.withSaved(w, r, lang, &p) {
		return
	}
	h.render(w, r, lang, http.StatusOK, p)
}

// Delete removes a member's saved draft.
func (h *Handler) Delete(w http.ResponseWriter, r *http.Request) {
	lang, c, ok := h.Gate.Enter(w, r, account.LevelExpert)
	if !ok {
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("draft"), 10, 64)
	err := h.Store.DeleteLibraryDraft(r.Context(), id, c.User.ID)
	if errors.Is(err, store.ErrNotFound) {
		h.Gate.NotFound(w, r, lang)
		return
	}
	if err != nil {
		h.Gate.Fail(w, r, lang, err)
		return
	}
	account.SeeOther(w, r, "/"+lang+"/library/assess/")
}
