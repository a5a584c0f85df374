// Command polis builds and serves the Polis portal. See README.md.
package main

import (
	"os"

	"github.com/polis-portal/polis/server/cli"
)

func main() { os.Exit(cli.Run(os.Args[1:])) }
