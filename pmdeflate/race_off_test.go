//go:build !race

package pmdeflate

const raceEnabled = false
