//go:build race

package lws_test

const raceEnabled = true
