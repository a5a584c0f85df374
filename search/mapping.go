package search

import (
	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/mapping"
)

// MappingVersion changes whenever the mapping below or the analysis it
// names changes, so that an index built with an older one is rebuilt at
// the next start.
const MappingVersion = 2

// docType is the one document mapping's name.
const docType = "doc"

// newMapping is the explicit mapping: the default mapping is off, so
// nothing is indexed by accident; each field is indexed, stored, given term
// vectors and doc values only where a query, a snippet, a facet or a sort
// needs it, which keeps the index small and the writes fast.
func newMapping() *mapping.IndexMappingImpl {
	m := bleve.NewIndexMapping()
	m.DefaultMapping.Enabled = false
	m.DefaultMapping.Dynamic = false
	m.TypeField = "_type"
	m.StoreDynamic = false
	m.IndexDynamic = false
	m.DocValuesDynamic = false

	doc := bleve.NewDocumentStaticMapping()
	// Filters, facets and the date: exact values. The engine reads them
	// from the postings (see engine.go), so no doc values.
	for _, name := range []string{fType, fKind, fLang, fTopics, fJurisdiction, fYear, fAudience} {
		doc.AddFieldMappingsAt(name, &mapping.FieldMapping{Type: "text", Analyzer: keyword.Name, Index: true})
	}
	doc.AddFieldMappingsAt(fDateKey, &mapping.FieldMapping{Type: "text", Analyzer: keyword.Name, Index: true, Store: true})
	// Shown on a hit, never searched.
	for _, name := range []string{fTitle, fSummary, fURL} {
		doc.AddFieldMappingsAt(name, &mapping.FieldMapping{Type: "text", Analyzer: keyword.Name, Store: true})
	}
	// The text, per language. Term vectors (positions and offsets): the
	// phrases need them, and the snippets. The body is not stored: the
	// collections hold the text (Index.Text), which keeps the index
	// smaller than SQLite FTS5's with its copy of the text.
	for _, suffix := range fieldLangs {
		an := analyzerFor(suffix)
		doc.AddFieldMappingsAt("title_"+suffix, &mapping.FieldMapping{Type: "text", Analyzer: an, Index: true, IncludeTermVectors: true})
		doc.AddFieldMappingsAt("body_"+suffix, &mapping.FieldMapping{Type: "text", Analyzer: an, Index: true, IncludeTermVectors: true})
	}
	// Spelling and suggestions: the words of titles as
	// written (folded, not stemmed), so that a correction or a completion
	// is a real word; no positions, no frequencies.
	doc.AddFieldMappingsAt(fSpell, &mapping.FieldMapping{Type: "text", Analyzer: analyzerFor(neutral), Index: true, SkipFreqNorm: true})
	// No composite "_all" field: every query names its fields (a query on
	// _all would be analysed with the default analyzer, not the language's).
	doc.AddSubDocumentMapping("_all", bleve.NewDocumentDisabledMapping())
	m.AddDocumentMapping(docType, doc)
	return m
}
