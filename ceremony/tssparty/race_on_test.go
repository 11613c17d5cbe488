//go:build race

package tssparty

const raceEnabled = true
