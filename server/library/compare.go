package library

import (
	"encoding/csv"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// maxCompared bounds how many docs one comparison shows side by side.
const maxCompared = 12

// column is one doc in an element comparison: its provisions for the
// element, each with its text.
type column struct {
	Doc        docView
	Provisions []provision
	Assessed   bool // false: a national law whose coverage of the element is not assessed
}

type provision struct {
	refView
	Body template.HTML
	Lang string
}

// Compare is /<lang>/library/compare/?element=possession&doc=de-stgb&doc=…:
// one checklist element across chosen instruments or countries, their
// provisions next to each other. Without chosen docs it shows every doc
// with a provision for the element.
func (h *Handler) Compare(w http.ResponseWriter, r *http.Request) {
	lang, ok := h.Gate.Lang(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	data := struct {
		Element  *elementView
		Elements []elementView
		Chosen   []string
		Groups   []group
		Columns  []column
		TooMany  bool
		Required []refView
		Optional []refView
	}{Elements: h.elements(lang)}
	for _, id := range q["doc"] {
		if h.Lib.Doc(id) != nil && !slices.Contains(data.Chosen, id) {
			data.Chosen = append(data.Chosen, id)
		}
	}
	for _, doc := range h.Lib.Docs {
		if n := len(data.Groups); n == 0 || data.Groups[n-1].Kind != doc.Kind {
			data.Groups = append(data.Groups, group{Kind: doc.Kind})
		}
		data.Groups[len(data.Groups)-1].Docs = append(data.Groups[len(data.Groups)-1].Docs, h.view(doc, lang))
	}
	title := h.Catalog.T(lang, "libraryCompareTitle")
	if e := h.Lib.Element(q.Get("element")); e != nil {
		ev := h.element(e, lang)
		data.Element = &ev
		title += ": " + ev.Name
		docs := data.Chosen
		if len(docs) == 0 {
			for _, d := range h.Lib.Docs {
				if len(d.CoversOf(e.ID)) > 0 {
					docs = append(docs, d.ID)
				}
			}
		}
		if len(docs) > maxCompared {
			docs, data.TooMany = docs[:maxCompared], true
		}
		for _, id := range docs {
			d := h.Lib.Doc(id)
			col := column{Doc: h.view(d, lang), Assessed: true}
			for _, c := range d.CoversOf(e.ID) {
				t, _ := d.Text(lang, h.Lib.Default)
				pv := provision{refView: h.ref(Ref{d, c}, lang), Lang: t.Lang}
				if a := t.Article(c.Article); a != nil {
					pv.Body = a.Body
				}
				col.Provisions = append(col.Provisions, pv)
			}
			col.Assessed = len(col.Provisions) > 0 || d.Kind != "national-law"
			data.Columns = append(data.Columns, col)
		}
		req, opt := h.Lib.RequiredBy(e.ID)
		data.Required, data.Optional = h.refs(req, lang), h.refs(opt, lang)
	}
	h.Gate.Render(w, r, http.StatusOK, "library_compare", h.page(r, lang, title, data, false))
}

// matrixCell is one doc × element: its provisions, or none.
type matrixCell struct {
	Refs     []refView
	Assessed bool
}

type matrixRow struct {
	Doc   docView
	Cells []matrixCell
}

// matrix builds the coverage matrix for the docs that pass the kind
// filter.
func (h *Handler) matrix(lang, kind string) []matrixRow {
	var rows []matrixRow
	for _, d := range h.Lib.Docs {
		if kind != "" && d.Kind != kind {
			continue
		}
		row := matrixRow{Doc: h.view(d, lang)}
		for _, e := range h.Lib.Elements {
			var refs []Ref
			for _, c := range d.CoversOf(e.ID) {
				refs = append(refs, Ref{d, c})
			}
			row.Cells = append(row.Cells, matrixCell{Refs: h.refs(refs, lang), Assessed: len(refs) > 0 || d.Kind != "national-law"})
		}
		rows = append(rows, row)
	}
	return rows
}

// readKind reads the matrix's kind filter: a known kind, or "" for all.
func readKind(r *http.Request) string {
	if kind := r.URL.Query().Get("kind"); slices.Contains(Kinds, kind) {
		return kind
	}
	return ""
}

// Matrix is /<lang>/library/matrix/: instruments, model provisions and
// national laws × checklist elements, each cell linking to the covering
// provision; a national law's empty cell is "not assessed", never "no".
func (h *Handler) Matrix(w http.ResponseWriter, r *http.Request) {
	lang, ok := h.Gate.Lang(w, r)
	if !ok {
		return
	}
	kind := readKind(r)
	data := struct {
		Kind     string
		Kinds    []string
		Elements []elementView
		Rows     []matrixRow
	}{Kind: kind, Kinds: Kinds, Elements: h.elements(lang), Rows: h.matrix(lang, kind)}
	h.Gate.Render(w, r, http.StatusOK, "library_matrix", h.page(r, lang, h.Catalog.T(lang, "libraryMatrixTitle"), data, true))
}

// MatrixCSV is the coverage matrix as CSV, for spreadsheets: one row per
// doc, one column per element (named in the reader's language), each cell
// the provisions' labels; a UTF-8 byte order mark so that spreadsheet
// programs read the names right.
func (h *Handler) MatrixCSV(w http.ResponseWriter, r *http.Request) {
	lang, ok := h.Gate.Lang(w, r)
	if !ok {
		return
	}
	kind := readKind(r)
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="polis-library-coverage-`+lang+`.csv"`)
	w.Write([]byte("\ufeff"))
	cw := csv.NewWriter(w)
	head := []string{"id", h.Catalog.T(lang, "libraryColTitle"), h.Catalog.T(lang, "libraryKind"), h.Catalog.T(lang, "libraryJurisdiction"),
		h.Catalog.T(lang, "libraryYear")}
	for _, e := range h.elements(lang) {
		head = append(head, e.Name)
	}
	cw.Write(head)
	notAssessed := h.Catalog.T(lang, "libraryNotAssessed")
	optional := h.Catalog.T(lang, "libraryOptionalShort")
	for _, row := range h.matrix(lang, kind) {
		rec := []string{row.Doc.ID, row.Doc.T.Title, h.Catalog.T(lang, "libraryKind_"+row.Doc.Kind), row.Doc.Jurisdiction, strconv.Itoa(row.Doc.Year)}
		for _, c := range row.Cells {
			var labels []string
			for _, ref := range c.Refs {
				l := ref.Label
				if ref.Optional {
					l += " (" + optional + ")"
				}
				labels = append(labels, l)
			}
			switch {
			case len(labels) > 0:
				rec = append(rec, strings.Join(labels, "; "))
			case !c.Assessed:
				rec = append(rec, notAssessed)
			default:
				rec = append(rec, "")
			}
		}
		cw.Write(rec)
	}
	cw.Flush()
}

// checklistItem is one element with the instruments that require it and
// the model provisions that provide it.
type checklistItem struct {
	elementView
	Required []refView
	Optional []refView
	Model    []refView
}

func (h *Handler) checklist(lang string) []checklistItem {
	var out []checklistItem
	for _, e := range h.Lib.Elements {
		req, opt := h.Lib.RequiredBy(e.ID)
		out = append(out, checklistItem{elementView: h.element(e, lang), Required: h.refs(req, lang), Optional: h.refs(opt, lang),
			Model: h.refs(h.Lib.ModelFor(e.ID), lang)})
	}
	return out
}

// Checklist is /<lang>/library/checklist/: the drafting checklist, each
// element with its definition, the instruments that require it (read from
// their claims) and the model provisions to start from.
func (h *Handler) Checklist(w http.ResponseWriter, r *http.Request) {
	lang, ok := h.Gate.Lang(w, r)
	if !ok {
		return
	}
	h.Gate.Render(w, r, http.StatusOK, "library_checklist", h.page(r, lang, h.Catalog.T(lang, "libraryChecklistTitle"), h.checklist(lang), true))
}
