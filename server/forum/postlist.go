package forum

import (
	"html"
	"html/template"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/polis-portal/polis/server/account"
)

// The posts of a thread page and the language menus are written here in
// Go rather than in the page template. A page of 50 posts made html/template
// evaluate some 2,000 actions, each escaped through a reflective call, and
// held the page near 400 pages/s on two cores against a budget of 2,000.
// The markup is the same the template would write; every value from a
// member goes through html.EscapeString, and the post's text is the HTML
// that markdown.Render sanitised when the post was written.

// postList writes the <li> of each post, one piece per post (a single
// piece of 150 KB would be copied whole through fmt by the template).
func (h *Handler) postList(lang string, threadID int64, posts []postView, L map[string]string, csrf string, staff bool) []template.HTML {
	size := 0
	for _, p := range posts {
		size += len(p.Body) + 2048
	}
	var b strings.Builder
	b.Grow(size)
	out := make([]template.HTML, 0, len(posts))
	esc := html.EscapeString
	w := func(ss ...string) {
		for _, s := range ss {
			b.WriteString(s)
		}
	}
	base := "/" + lang + "/forum/"
	for _, p := range posts {
		start := b.Len()
		seq := strconv.Itoa(p.Seq)
		pid := strconv.FormatInt(p.ID, 10)
		class := "post"
		if p.Unread {
			class += " unread"
		}
		if !p.Shown {
			class += " hidden-item"
		}
		w(`<li class="`, class, `" id="p`, seq, `">`, "\n", `<article aria-labelledby="p`, seq, `-h">`, "\n")
		w(`<header class="post-head"><h2 id="p`, seq, `-h" class="post-author">`, esc(p.AuthorName), ` <span class="handle">@`, esc(p.AuthorHandle), `</span></h2>`, "\n")
		w(`<p class="hint">`, esc(p.AuthorOrg), ` · `, esc(p.AuthorCountry), ` · <a href="#p`, seq, `">#`, seq, `</a> · `, p.Created,
			` · <span class="lang-tag" title="`, esc(L["forumPostLang"]), `">`, esc(p.Lang), `</span>`)
		if p.EditedAt != 0 {
			w(` · `, esc(L["forumEdited"]))
		}
		if p.Unread {
			w(` · <span class="badge unread">`, esc(L["forumNew"]), `</span>`)
		}
		w(`</p></header>`, "\n")
		if p.DeletedAt != 0 {
			w(`<p class="notice">`, esc(L["forumDeleted"]), `</p>`, "\n")
		}
		if p.HiddenAt != 0 {
			w(`<p class="notice">`, esc(L["forumHiddenPost"]))
			if staff {
				w(` `, esc(p.HiddenReason))
			}
			w(`</p>`, "\n")
		}
		if p.Body != "" {
			w(`<div class="post-body">`, string(p.Body), `</div>`, "\n")
		}
		if p.Files {
			w(`<ul class="attachments" aria-label="`, esc(L["forumAttachmentsLabel"]), `">`)
			for _, a := range p.Attachments {
				w(`<li><a href="`, base, `p/`, pid, `/files/`, esc(a.SHA256), `" download>`, esc(a.Name), `</a> <span class="hint">(`,
					esc(a.Kind), `, `, strconv.FormatInt(a.Size, 10), ` B)</span></li>`)
			}
			w(`</ul>`, "\n")
		}
		w(`<div class="post-actions">`, "\n")
		if p.CanQuote {
			w(`<a href="`, base, `t/`, strconv.FormatInt(threadID, 10), `?quote=`, pid, `#reply">`, esc(L["forumQuote"]), `</a>`, "\n")
		}
		if p.CanEdit {
			w(`<a href="`, base, `p/`, pid, `/edit">`, esc(L["forumEdit"]), `</a>`, "\n")
		}
		if p.CanHistory {
			w(`<a href="`, base, `p/`, pid, `/history">`, esc(L["forumHistory"]), `</a>`, "\n")
		}
		if p.Shown {
			label := L["forumBookmark"]
			if p.Bookmarked {
				label = L["forumUnbookmark"]
			}
			w(`<form method="post" action="`, base, `p/`, pid, `/bookmark" class="inline"><input type="hidden" name="csrf" value="`, esc(csrf),
				`"><button type="submit" class="link-button">`, esc(label), `</button></form>`, "\n")
		}
		if p.CanDelete {
			w(`<form method="post" action="`, base, `p/`, pid, `/delete" class="inline"><input type="hidden" name="csrf" value="`, esc(csrf),
				`"><button type="submit" class="link-button">`, esc(L["forumDelete"]), `</button></form>`, "\n")
		}
		if p.CanFlag {
			w(`<a href="`, base, `p/`, pid, `/flag">`, esc(L["forumFlag"]), `</a>`, "\n")
		}
		if staff {
			w(`<details class="inline-details"><summary>`, esc(L["forumModerate"]), `</summary>`, "\n",
				`<form method="post" action="`, base, `p/`, pid, `/moderate" class="stack"><input type="hidden" name="csrf" value="`, esc(csrf), `">`, "\n",
				`<label for="mreason-`, seq, `">`, esc(L["fieldReason"]), `</label><input id="mreason-`, seq, `" name="reason">`, "\n")
			if p.HiddenAt != 0 {
				w(`<button type="submit" name="action" value="restore">`, esc(L["forumRestore"]), `</button>`)
			} else {
				w(`<button type="submit" name="action" value="hide">`, esc(L["forumHide"]), `</button>`)
			}
			w(`</form>`, "\n")
			if !p.Mine {
				w(`<form method="post" action="/`, lang, `/staff/users/`, strconv.FormatInt(p.AuthorID, 10), `/suspend" class="stack"><input type="hidden" name="csrf" value="`, esc(csrf), `">`, "\n",
					`<label for="sreason-`, seq, `">`, esc(L["fieldReason"]), `</label><input id="sreason-`, seq, `" name="reason" required>`, "\n",
					`<button type="submit">`, esc(L["suspendButton"]), `</button></form>`, "\n")
			}
			w(`</details>`)
		}
		w(`</div>`, "\n", `</article></li>`, "\n")
		out = append(out, template.HTML(b.String()[start:])) // shares the builder's memory
	}
	return out
}

// langOptions are the <option>s of the working languages, each named in
// its own language, with one selected; made once per selection.
func langOptions(selected string) template.HTML {
	if v, ok := optionCache.Load(selected); ok {
		return v.(template.HTML)
	}
	var b strings.Builder
	for _, c := range account.Languages() {
		b.WriteString(`<option value="` + html.EscapeString(c.Code) + `" lang="` + html.EscapeString(c.Code) + `"`)
		if c.Code == selected {
			b.WriteString(` selected`)
		}
		b.WriteString(`>` + html.EscapeString(c.Name) + `</option>`)
	}
	out := template.HTML(b.String())
	if slices.Contains(account.WorkingLanguages, selected) || selected == "" {
		optionCache.Store(selected, out) // never a value sent by a client
	}
	return out
}

var optionCache sync.Map // selected code → options
