// Command coldsig runs threshold-signature ceremonies on air-gapped machines.
package main

import "os"

func main() { os.Exit(Main()) }
