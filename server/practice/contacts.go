package practice

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"

	"github.com/pelletier/go-toml/v2"

	"github.com/polis-portal/polis/server/account"
)

// ContactPoint is what public sources say of one State's unit for online
// child sexual exploitation and its official channels.
type ContactPoint struct {
	Code     string
	Unit     string // "unknown" when no public source names it
	UnitURL  string `toml:"unit_url"`
	Interpol string // member, unknown
	Europol  string // member, operational-agreement, strategic-agreement, none, unknown
	Budapest string // party, signatory, none, unknown
	Note     string
	Sources  []string
}

// Allowed values of the contact points' statuses.
var (
	interpolValues = []string{"member", "unknown"}
	europolValues  = []string{"member", "operational-agreement", "strategic-agreement", "none", "unknown"}
	budapestValues = []string{"party", "signatory", "none", "unknown"}
)

// LoadContactPoints reads the experts-only table of national contact
// points (content/_experts/contact-points.toml: outside every Hugo content
// folder, so Hugo never reads it) and validates it. Errors name the file
// and the entry.
func LoadContactPoints(file string) ([]ContactPoint, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var doc struct{ Country []ContactPoint }
	if err := toml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	seen := map[string]bool{}
	for i, c := range doc.Country {
		where := fmt.Sprintf("%s: entry %d (%s)", file, i+1, c.Code)
		switch {
		case !slices.Contains(account.OSCE, c.Code):
			return nil, fmt.Errorf("%s: %q is not an OSCE participating State's code", where, c.Code)
		case seen[c.Code]:
			return nil, fmt.Errorf("%s: listed twice", where)
		case c.Unit == "":
			return nil, fmt.Errorf("%s: unit is empty (write \"unknown\" when no public source names it)", where)
		case !slices.Contains(interpolValues, c.Interpol), !slices.Contains(europolValues, c.Europol), !slices.Contains(budapestValues, c.Budapest):
			return nil, fmt.Errorf("%s: interpol, europol or budapest has a value outside the list", where)
		case c.Unit != "unknown" && len(c.Sources) == 0:
			return nil, fmt.Errorf("%s: a named unit needs a source", where)
		}
		for _, u := range append([]string{c.UnitURL}, c.Sources...) {
			if u == "" {
				continue
			}
			if p, err := url.Parse(u); err != nil || p.Scheme != "https" || p.Host == "" {
				return nil, fmt.Errorf("%s: %q must be an absolute https:// link", where, u)
			}
		}
		seen[c.Code] = true
	}
	return doc.Country, nil
}

// contactView is a contact point with its country's name in the reader's
// language.
type contactView struct {
	ContactPoint
	Country string
	Links   []sourceLink
}

// sourceLink names a source by its site, which reads better than a number.
type sourceLink struct{ URL, Host string }

// ContactPoints is the experts' table of national contact points.
func (h *Handler) ContactPoints(w http.ResponseWriter, r *http.Request) {
	lang, _, ok := h.Gate.Enter(w, r, account.LevelExpert)
	if !ok {
		return
	}
	var rows []contactView
	for _, c := range h.Contacts {
		v := contactView{ContactPoint: c, Country: account.CountryName(lang, c.Code)}
		for _, s := range c.Sources {
			if u, err := url.Parse(s); err == nil {
				v.Links = append(v.Links, sourceLink{s, u.Host})
			}
		}
		rows = append(rows, v)
	}
	h.Gate.Render(w, r, http.StatusOK, "contact_points", h.Gate.Page(r, lang, "contactPointsTitle", "menuPractices", rows))
}
