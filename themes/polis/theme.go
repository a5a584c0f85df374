// Package theme embeds the Go server's page templates. They live in the Hugo
// theme beside the layouts whose chrome they share: Hugo renders that chrome
// per language into public/<lang>/_server/shell.html (see
// layouts/home.servershell.html) and each template here fills its "main".
// Templates use [[ ]] delimiters so that Hugo's {{ }} never meets them.
package theme

import "embed"

// Templates holds templates/<name>.html, one per server page.
//
//go:embed templates/*.html
var Templates embed.FS
