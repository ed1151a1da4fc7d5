// Command fixturegen writes the SHOP demo fixture (jiraemu.BuildDemo) as
// indented JSON. Run it through `go generate ./server/jiraemu/`.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/backlogai/backlogai/server/jiraemu"
)

func main() {
	out := flag.String("out", "fixtures/shop.json", "output file")
	flag.Parse()
	b, err := json.MarshalIndent(jiraemu.BuildDemo(), "", "  ")
	if err != nil {
		fmt.Fprintln(os.Stderr, "fixturegen:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "fixturegen:", err)
		os.Exit(1)
	}
}
