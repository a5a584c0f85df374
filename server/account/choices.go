package account

import (
	"slices"
	"strings"
	"sync"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// OSCE is the list of the 57 OSCE participating States (ISO 3166-1
// alpha-2; VA is the Holy See), offered first on the application form.
var OSCE = strings.Fields(`AL AD AM AT AZ BY BE BA BG CA HR CY CZ DK EE FI FR GE DE GR VA HU IS IE IT KZ KG
	LV LI LT LU MT MD MC MN ME NL MK NO PL PT RO RU SM RS SK SI ES SE CH TJ TR TM UA GB US UZ`)

// world is every other ISO 3166-1 alpha-2 code in use.
var world = strings.Fields(`AF AO AG AR AU BS BH BD BB BZ BJ BT BO BW BR BN BF BI CV KH CM CF TD CL CN CO KM CG CD
	CR CI CU DJ DM DO EC EG SV GQ ER SZ ET FJ GA GM GH GD GT GN GW GY HT HN IN ID IR IQ IL JM JP JO KE KI KP KR
	KW LA LB LS LR LY MG MW MY MV ML MH MR MU MX FM MA MZ MM NA NR NP NZ NI NE NG OM PK PW PS PA PG PY PE PH QA
	RW KN LC VC WS ST SA SN SC SL SG SB SO ZA SS LK SD SR SY TW TZ TH TL TG TO TT TN TV UG AE UY VU VE VN YE ZM ZW XK`)

// Expertise is the controlled list of areas an expert can claim; it
// matches the practice topics.
var Expertise = []string{
	"victim-identification", "digital-forensics", "online-investigation", "live-streaming",
	"financial-investigation", "international-cooperation", "hotline-takedown", "prevention-awareness",
	"offender-management", "victim-support", "legislation",
}

// WorkingLanguages are the languages an expert can list.
var WorkingLanguages = strings.Fields(`en fr de it ru es uk pl nl pt ro tr sv fi da no is el hu cs sk sl hr sr bs
	bg mk sq lt lv et be ka hy az kk ky uz tg mn ar he`)

// Choice is one option of a list, named in the reader's language.
type Choice struct {
	Code string
	Name string
}

// Countries returns the OSCE participating States, then all others, each
// group sorted by its name in lang (names from CLDR via x/text).
func Countries(lang string) (osce, others []Choice) {
	if v, ok := countryCache.Load(lang); ok {
		c := v.([2][]Choice)
		return c[0], c[1]
	}
	osce, others = countries(lang)
	countryCache.Store(lang, [2][]Choice{osce, others})
	return osce, others
}

// countryCache keeps each language's sorted lists: building them (CLDR names
// and collation for 250 countries) costs more than rendering a page.
var countryCache sync.Map

func countries(lang string) (osce, others []Choice) {
	tag := language.Make(lang)
	names := display.Regions(tag)
	col := collate.New(tag)
	list := func(codes []string) []Choice {
		out := make([]Choice, 0, len(codes))
		for _, c := range codes {
			name := c
			if r, err := language.ParseRegion(c); err == nil {
				if n := names.Name(r); n != "" {
					name = n
				}
			}
			out = append(out, Choice{Code: c, Name: name})
		}
		slices.SortFunc(out, func(a, b Choice) int { return col.CompareString(a.Name, b.Name) })
		return out
	}
	return list(OSCE), list(world)
}

// validCountry reports whether code is offered on the form.
func validCountry(code string) bool {
	return slices.Contains(OSCE, code) || slices.Contains(world, code)
}

// CountryName names a country in lang.
func CountryName(lang, code string) string {
	if r, err := language.ParseRegion(code); err == nil {
		if n := display.Regions(language.Make(lang)).Name(r); n != "" {
			return n
		}
	}
	return code
}

// Languages returns the working languages, each named in its own language.
func Languages() []Choice { return languageChoices() }

var languageChoices = sync.OnceValue(func() []Choice {
	out := make([]Choice, 0, len(WorkingLanguages))
	for _, c := range WorkingLanguages {
		out = append(out, Choice{Code: c, Name: display.Self.Name(language.Make(c))})
	}
	return out
})

// filterKnown keeps the values that are in allowed, in allowed's order.
func filterKnown(values, allowed []string) []string {
	var out []string
	for _, a := range allowed {
		if slices.Contains(values, a) {
			out = append(out, a)
		}
	}
	return out
}
