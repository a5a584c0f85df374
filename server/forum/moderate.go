package forum

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/polis-portal/polis/server/account"
	"github.com/polis-portal/polis/server/store"
)

// Flags is the moderation queue: open flags, grouped by post, oldest
// first.
func (h *Handler) Flags(w http.ResponseWriter, r *http.Request) {
	v, ok := h.enter(w, r, account.LevelStaff)
	if !ok {
		return
	}
	flags, err := h.Store.OpenFlags(r.Context())
	if err != nil {
		h.Gate.Fail(w, r, v.lang, err)
		return
	}
	type item struct {
		store.Flag
		URL string
	}
	items := make([]item, 0, len(flags))
	for _, f := range flags {
		items = append(items, item{f, h.postURL(v.lang, f.ThreadID, f.Seq)})
	}
	h.Gate.Render(w, r, http.StatusOK, "staff_flags", h.Gate.Page(r, v.lang, "forumFlagQueue", "", items))
}

// ModeratePost hides, restores or keeps a post (closing its flags), with a
// reason that goes to the audit log and, for hiding, to the author.
func (h *Handler) ModeratePost(w http.ResponseWriter, r *http.Request) {
	v, ok := h.enter(w, r, account.LevelStaff)
	if !ok {
		return
	}
	p, t, _, ok := h.post(w, r, v)
	if !ok {
		return
	}
	ctx := r.Context()
	action := r.PostFormValue("action")
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	back := r.PostFormValue("back")
	if back != "/"+v.lang+"/staff/flags" {
		back = h.postURL(v.lang, t.ID, p.Seq)
	}
	if reason == "" && action != "restore" {
		h.Gate.ShowMessage(w, r, v.lang, http.StatusUnprocessableEntity, "forumModerate", account.Message{Text: "errReasonRequired", Link: back, LinkT: "forumBackToThread"})
		return
	}
	now := h.Now().Unix()
	var err error
	outcome := ""
	switch action {
	case "hide":
		err, outcome = h.Store.HidePost(ctx, p.ID, v.u.ID, now, reason), "hidden"
	case "restore":
		err = h.Store.RestorePost(ctx, p.ID)
	case "keep":
		outcome = "kept"
	default:
		h.Gate.NotFound(w, r, v.lang)
		return
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		h.Gate.Fail(w, r, v.lang, err)
		return
	}
	h.audit(r, v, "forum.post."+action, p.AuthorID, fmt.Sprintf("post %d in thread %d: %s", p.ID, t.ID, reason))
	if outcome != "" {
		flaggers, err := h.Store.ResolveFlags(ctx, p.ID, v.u.ID, now, outcome)
		if err != nil {
			h.Gate.Fail(w, r, v.lang, err)
			return
		}
		for _, uid := range flaggers {
			h.notify(ctx, store.Notification{UserID: uid, Kind: store.NoticeModeration, ActorID: v.u.ID, ThreadID: t.ID, PostID: p.ID, Detail: "flag-" + outcome})
		}
	}
	if action == "hide" {
		h.notify(ctx, store.Notification{UserID: p.AuthorID, Kind: store.NoticeModeration, ActorID: v.u.ID, ThreadID: t.ID, PostID: p.ID, Detail: "post-hidden"})
	}
	account.SeeOther(w, r, back)
}

// ModerateThread locks, closes, pins, hides or moves a thread, or changes
// its sensitivity label, with a reason for the audit log.
func (h *Handler) ModerateThread(w http.ResponseWriter, r *http.Request) {
	v, ok := h.enter(w, r, account.LevelStaff)
	if !ok {
		return
	}
	t, _, ok := h.thread(w, r, v)
	if !ok {
		return
	}
	ctx := r.Context()
	action := r.PostFormValue("action")
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	back := threadURL(v.lang, t.ID)
	if reason == "" {
		h.Gate.ShowMessage(w, r, v.lang, http.StatusUnprocessableEntity, "forumModerate", account.Message{Text: "errReasonRequired", Link: back, LinkT: "forumBackToThread"})
		return
	}
	var err error
	detail := reason
	switch action {
	case "lock", "unlock":
		err = h.Store.SetThreadState(ctx, t.ID, store.ThreadLocked, action == "lock")
	case "close", "open":
		err = h.Store.SetThreadState(ctx, t.ID, store.ThreadClosed, action == "close")
	case "pin", "unpin":
		err = h.Store.SetThreadState(ctx, t.ID, store.ThreadPinned, action == "pin")
	case "hide":
		err = h.Store.HideThread(ctx, t.ID, h.Now().Unix(), reason)
	case "restore":
		err = h.Store.HideThread(ctx, t.ID, 0, "")
	case "move":
		to, _ := strconv.ParseInt(r.PostFormValue("category"), 10, 64)
		if v.category(to) == nil {
			h.Gate.NotFound(w, r, v.lang)
			return
		}
		err = h.Store.MoveThread(ctx, t.ID, to)
		detail = fmt.Sprintf("to category %d: %s", to, reason)
	case "sensitivity":
		label := r.PostFormValue("sensitivity")
		if !slices.Contains(Sensitivities, label) {
			h.Gate.NotFound(w, r, v.lang)
			return
		}
		err = h.Store.SetSensitivity(ctx, t.ID, label)
		detail = fmt.Sprintf("%q: %s", label, reason)
	default:
		h.Gate.NotFound(w, r, v.lang)
		return
	}
	if err != nil {
		h.Gate.Fail(w, r, v.lang, err)
		return
	}
	h.audit(r, v, "forum.thread."+action, t.AuthorID, fmt.Sprintf("thread %d: %s", t.ID, detail))
	account.SeeOther(w, r, back)
}

// Staff's category pages.

var slugPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,40}$`)

// categoryForm is the data of the category editor.
type categoryForm struct {
	Category  *store.Category
	Langs     []string
	Groups    []store.Group
	Audiences []string
	Accesses  []string
	Error     string
}

// StaffCategories lists the categories for staff, with the editor for a
// new one.
func (h *Handler) StaffCategories(w http.ResponseWriter, r *http.Request) {
	v, ok := h.enter(w, r, account.LevelStaff)
	if !ok {
		return
	}
	h.showCategories(w, r, v, &store.Category{Audience: defaultAudience(), Groups: map[string][]string{}, Texts: map[string]store.CategoryText{}}, "", http.StatusOK)
}

func defaultAudience() map[string]string {
	return map[string]string{store.AccessRead: store.AudienceExperts, store.AccessStart: store.AudienceExperts, store.AccessReply: store.AudienceExperts}
}

func (h *Handler) showCategories(w http.ResponseWriter, r *http.Request, v *viewer, editing *store.Category, errKey string, status int) {
	groups, err := h.Store.Groups(r.Context())
	if err != nil {
		h.Gate.Fail(w, r, v.lang, err)
		return
	}
	var list []categoryView
	for _, c := range v.cats { // staff read every category
		list = append(list, categoryView{Category: c, CategoryText: h.categoryName(c, v.lang)})
	}
	h.Gate.Render(w, r, status, "staff_categories", h.Gate.Page(r, v.lang, "forumCategories", "", struct {
		List []categoryView
		Form categoryForm
	}{list, categoryForm{Category: editing, Langs: h.Site.Codes(), Groups: groups,
		Audiences: []string{store.AudienceExperts, store.AudienceGroups, store.AudienceStaff},
		Accesses:  []string{store.AccessRead, store.AccessStart, store.AccessReply}, Error: errKey}}))
}

// SaveCategory creates or updates a category from the editor.
func (h *Handler) SaveCategory(w http.ResponseWriter, r *http.Request) {
	v, ok := h.enter(w, r, account.LevelStaff)
	if !ok {
		return
	}
	id, _ := strconv.ParseInt(r.PostFormValue("id"), 10, 64)
	c := &store.Category{ID: id, Slug: strings.TrimSpace(r.PostFormValue("slug")), Audience: map[string]string{},
		Groups: map[string][]string{}, Texts: map[string]store.CategoryText{}, CreatedAt: h.Now().Unix()}
	if id != 0 && v.category(id) == nil {
		h.Gate.NotFound(w, r, v.lang)
		return
	}
	for _, access := range []string{store.AccessRead, store.AccessStart, store.AccessReply} {
		a := r.PostFormValue("audience_" + access)
		if a != store.AudienceExperts && a != store.AudienceGroups && a != store.AudienceStaff {
			a = store.AudienceStaff // the safe default for a missing field
		}
		c.Audience[access] = a
		if a == store.AudienceGroups {
			c.Groups[access] = r.PostForm["groups_"+access]
		}
	}
	for _, lang := range h.Site.Codes() {
		name, desc := strings.TrimSpace(r.PostFormValue("name_"+lang)), strings.TrimSpace(r.PostFormValue("description_"+lang))
		if name != "" || desc != "" {
			c.Texts[lang] = store.CategoryText{Name: name, Description: desc}
		}
	}
	errKey := ""
	if !slugPattern.MatchString(c.Slug) {
		errKey = "forumErrSlug"
	}
	// Every language is equal: a community is named and described in each.
	for _, lang := range h.Site.Codes() {
		if t := c.Texts[lang]; t.Name == "" || t.Description == "" {
			errKey = "forumErrCategoryName"
		}
	}
	for access, a := range c.Audience {
		if a == store.AudienceGroups && len(c.Groups[access]) == 0 {
			errKey = "forumErrCategoryGroups"
		}
	}
	if errKey == "" {
		err := h.Store.SaveCategory(r.Context(), c)
		if errors.Is(err, store.ErrDuplicate) {
			errKey = "forumErrSlugTaken"
		} else if err != nil {
			h.Gate.Fail(w, r, v.lang, err)
			return
		}
	}
	if errKey != "" {
		h.showCategories(w, r, v, c, errKey, http.StatusUnprocessableEntity)
		return
	}
	h.audit(r, v, "forum.category.save", 0, fmt.Sprintf("category %d %s: read=%s start=%s reply=%s", c.ID, c.Slug,
		c.Audience[store.AccessRead], c.Audience[store.AccessStart], c.Audience[store.AccessReply]))
	account.SeeOther(w, r, "/"+v.lang+"/staff/categories")
}

// EditCategoryShow shows the editor filled with a category.
func (h *Handler) EditCategoryShow(w http.ResponseWriter, r *http.Request) {
	v, ok := h.enter(w, r, account.LevelStaff)
	if !ok {
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	c := v.category(id)
	if c == nil {
		h.Gate.NotFound(w, r, v.lang)
		return
	}
	h.showCategories(w, r, v, c, "", http.StatusOK)
}

// MoveCategory moves a category up or down the list.
func (h *Handler) MoveCategory(w http.ResponseWriter, r *http.Request) {
	v, ok := h.enter(w, r, account.LevelStaff)
	if !ok {
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if v.category(id) == nil {
		h.Gate.NotFound(w, r, v.lang)
		return
	}
	if err := h.Store.MoveCategory(r.Context(), id, r.PostFormValue("dir") == "up"); err != nil {
		h.Gate.Fail(w, r, v.lang, err)
		return
	}
	h.audit(r, v, "forum.category.move", 0, fmt.Sprintf("category %d %s", id, r.PostFormValue("dir")))
	account.SeeOther(w, r, "/"+v.lang+"/staff/categories")
}
