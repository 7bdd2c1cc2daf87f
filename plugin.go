package lws

import (
	"fmt"
	"sort"
	"sync"
)

// The protocol registry is golws's form of lws's protocol plugins: each
// plugin package registers its protocol by name in an init function, as
// database/sql drivers do, and a program (lwsws among them) enables
// plugins by importing them and asking for them by name.

var (
	registryMu sync.RWMutex
	registry   = map[string]func() Protocol{}
)

// RegisterProtocol makes a protocol available by name; plugin packages
// call it from init. It panics if the name is empty or already taken, as
// two plugins claiming one name is a build mistake.
func RegisterProtocol(name string, make func() Protocol) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if name == "" || make == nil {
		panic("lws: RegisterProtocol needs a name and a constructor")
	}
	if _, dup := registry[name]; dup {
		panic(fmt.Sprintf("lws: protocol %q registered twice", name))
	}
	registry[name] = make
}

// LookupProtocol returns a fresh copy of the registered protocol of that
// name.
func LookupProtocol(name string) (Protocol, bool) {
	registryMu.RLock()
	make, ok := registry[name]
	registryMu.RUnlock()
	if !ok {
		return Protocol{}, false
	}
	return make(), true
}

// RegisteredProtocols returns the names of the registered protocols,
// sorted.
func RegisteredProtocols() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
