// Package locale gives the server the site's own translations: the same
// i18n/<lang>.toml files that Hugo's templates use, read with go-i18n, with
// Hugo's T semantics (an integer argument is the plural count and .Count).
package locale

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"github.com/pelletier/go-toml/v2"
	"golang.org/x/text/language"
)

// Catalog translates interface strings for the configured languages and
// picks the reader's language. It is read-only after Load, so it is safe to
// share between requests.
type Catalog struct {
	codes      []string // configured languages, site order
	def        string
	localizers map[string]*i18n.Localizer
	matcher    language.Matcher
	log        *slog.Logger

	// plain caches messages asked for without arguments ("lang\x00key" →
	// text): pages ask for the same labels many times (a forum thread asks
	// for each post's), and the catalogue never changes once loaded.
	plain sync.Map
}

// Load reads dir/<code>.toml for every configured language. def is the
// default language: the fallback for a key missing in another language and
// for readers whose languages are not offered.
func Load(dir string, codes []string, def string, log *slog.Logger) (*Catalog, error) {
	defTag, err := language.Parse(def)
	if err != nil {
		return nil, fmt.Errorf("locale: default language %q: %w", def, err)
	}
	bundle := i18n.NewBundle(defTag)
	bundle.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	c := &Catalog{codes: codes, def: def, localizers: map[string]*i18n.Localizer{}, log: log}
	// The default language first, so that the matcher falls back to it.
	ordered := append([]string{def}, without(codes, def)...)
	var tags []language.Tag
	for _, code := range ordered {
		path := filepath.Join(dir, code+".toml")
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("locale: %w", err)
		}
		if _, err := bundle.ParseMessageFileBytes(b, path); err != nil {
			return nil, fmt.Errorf("locale: %s: %w", path, err)
		}
		tag, err := language.Parse(code)
		if err != nil {
			return nil, fmt.Errorf("locale: language %q: %w", code, err)
		}
		tags = append(tags, tag)
		c.localizers[code] = i18n.NewLocalizer(bundle, code, def)
	}
	c.matcher = language.NewMatcher(tags)
	return c, nil
}

func without(list []string, s string) []string {
	var out []string
	for _, v := range list {
		if v != s {
			out = append(out, v)
		}
	}
	return out
}

// Has reports whether code is one of the catalog's languages.
func (c *Catalog) Has(code string) bool {
	_, ok := c.localizers[code]
	return ok
}

// Default returns the default language.
func (c *Catalog) Default() string { return c.def }

// Match returns the configured language that best fits an Accept-Language
// header, or the default language.
func (c *Catalog) Match(acceptLanguage string) string {
	prefs, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(prefs) == 0 {
		return c.def
	}
	_, idx, conf := c.matcher.Match(prefs...)
	if conf == language.No {
		return c.def
	}
	return append([]string{c.def}, without(c.codes, c.def)...)[idx]
}

// T translates key into lang as Hugo's T does: with no argument, the plain
// message; with an integer, the plural form for that count, which the
// message reads as {{ .Count }}; with a map or struct, its fields (a Count
// field or key picks the plural form).
func (c *Catalog) T(lang, key string, args ...any) string {
	if len(args) == 0 {
		ck := lang + "\x00" + key
		if s, ok := c.plain.Load(ck); ok {
			return s.(string)
		}
		s := c.localize(lang, key)
		c.plain.Store(ck, s)
		return s
	}
	return c.localize(lang, key, args...)
}

func (c *Catalog) localize(lang, key string, args ...any) string {
	loc, ok := c.localizers[lang]
	if !ok {
		loc = c.localizers[c.def]
	}
	cfg := &i18n.LocalizeConfig{MessageID: key}
	if len(args) > 0 {
		data := args[0]
		cfg.PluralCount = pluralCount(data)
		if isInt(data) {
			data = intCount(reflect.ValueOf(data).Int())
		}
		cfg.TemplateData = data
	}
	s, err := loc.Localize(cfg)
	if err != nil {
		var nf *i18n.MessageNotFoundErr
		if s == "" || !errors.As(err, &nf) {
			c.log.Warn("i18n: missing or broken translation", "lang", lang, "key", key, "err", err)
		}
		if s == "" {
			return "[i18n] " + key
		}
	}
	return s
}

// intCount lets a message read an integer argument as {{ .Count }}, as in
// Hugo, while {{ . }} still prints the number.
type intCount int64

func (n intCount) Count() int64 { return int64(n) }

func isInt(v any) bool {
	switch reflect.ValueOf(v).Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return true
	}
	return false
}

func pluralCount(v any) any {
	if v == nil {
		return nil
	}
	if isInt(v) {
		return reflect.ValueOf(v).Int()
	}
	if m, ok := v.(map[string]any); ok {
		for k, vv := range m {
			if strings.EqualFold(k, "Count") {
				return vv
			}
		}
		return nil
	}
	rv := reflect.Indirect(reflect.ValueOf(v))
	if rv.Kind() == reflect.Struct {
		if f := rv.FieldByName("Count"); f.IsValid() {
			return f.Interface()
		}
	}
	return nil
}
