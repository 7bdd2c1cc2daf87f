package main

import (
	"fmt"
	"os/user"
	"strconv"
	"syscall"
)

// privileges are who lwsws runs as once its sockets are bound (lws's uid,
// gid, username and groupname): it starts as root to bind low ports,
// then drops to them.
//
// SO_BINDTODEVICE (bind-iface) needs CAP_NET_RAW, which lws keeps across
// the drop; here the parent process binds every listen socket, as root,
// so the serving process needs no capability at all.
type privileges struct {
	uid, gid int // -1: unchanged
}

// resolvePrivileges turns the configured names or numbers into ids.
func resolvePrivileges(uid, gid int, username, groupname string) (privileges, error) {
	p := privileges{uid: uid, gid: gid}
	if username != "" {
		u, err := user.Lookup(username)
		if err != nil {
			return p, fmt.Errorf("username %q: %w", username, err)
		}
		p.uid, _ = strconv.Atoi(u.Uid)
		if p.gid < 0 && groupname == "" {
			p.gid, _ = strconv.Atoi(u.Gid)
		}
	}
	if groupname != "" {
		g, err := user.LookupGroup(groupname)
		if err != nil {
			return p, fmt.Errorf("groupname %q: %w", groupname, err)
		}
		p.gid, _ = strconv.Atoi(g.Gid)
	}
	return p, nil
}

// drop changes the process's group, then user (Go applies both to every
// thread). The supplementary groups are cleared first, while it still may.
func (p privileges) drop() error {
	if p.gid >= 0 {
		if err := syscall.Setgroups([]int{p.gid}); err != nil {
			return fmt.Errorf("setgroups: %w", err)
		}
		if err := syscall.Setgid(p.gid); err != nil {
			return fmt.Errorf("setgid %d: %w", p.gid, err)
		}
	}
	if p.uid >= 0 {
		if err := syscall.Setuid(p.uid); err != nil {
			return fmt.Errorf("setuid %d: %w", p.uid, err)
		}
	}
	return nil
}
