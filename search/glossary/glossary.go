// Package glossary reads the portal's glossary (content/_data/glossary.toml):
// concepts, each with its preferred term, other terms and discouraged terms
// in every site language. Hugo renders it as the public glossary page; the
// server uses it to widen matching across languages: the library's draft
// check, and search's cross-language expansion.
package glossary

import (
	"fmt"
	"os"

	"github.com/pelletier/go-toml/v2"
)

// Concept is one entry of the glossary.
type Concept struct {
	ID          string
	Terms       map[string]string   // preferred term per language
	Other       map[string][]string // other acceptable terms
	Discouraged map[string][]string // terms to avoid, still found in texts (and in laws)
	Definition  map[string]string
}

// Glossary is the loaded file.
type Glossary struct {
	Concepts []Concept
	byID     map[string]*Concept
}

// Load reads the glossary file.
func Load(path string) (*Glossary, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("glossary: %w", err)
	}
	var g Glossary
	if err := toml.Unmarshal(b, &g); err != nil {
		return nil, fmt.Errorf("glossary: %s: %w", path, err)
	}
	g.byID = map[string]*Concept{}
	for i := range g.Concepts {
		c := &g.Concepts[i]
		if c.ID == "" || g.byID[c.ID] != nil {
			return nil, fmt.Errorf("glossary: %s: concept %d has no id or a repeated one (%q)", path, i+1, c.ID)
		}
		g.byID[c.ID] = c
	}
	return &g, nil
}

// Concept returns the concept with id, or nil.
func (g *Glossary) Concept(id string) *Concept {
	if g == nil {
		return nil
	}
	return g.byID[id]
}

// Words returns every term the concept is written with in lang: the
// preferred term, the other terms and the discouraged ones (a text to be
// matched may well use a discouraged term; laws often do).
func (c *Concept) Words(lang string) []string {
	var out []string
	if t := c.Terms[lang]; t != "" {
		out = append(out, t)
	}
	out = append(out, c.Other[lang]...)
	return append(out, c.Discouraged[lang]...)
}
