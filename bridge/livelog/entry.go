// Package livelog finds, tails and parses Ableton Live's Log.txt and keeps a
// bounded, filterable ring of entries for the UI.
package livelog

import "time"

// Level is a log line's severity.
type Level int

const (
	LevelDebug Level = iota
	LevelInfo
	LevelWarning
	LevelError
	LevelCritical
)

// Source says where a line came from.
type Source int

const (
	SourceOther       Source = iota // any other Log.txt line
	SourceScript                    // RemoteScriptMessage
	SourceScriptError               // RemoteScriptError (a traceback, grouped)
	SourceEvent                     // a /live/log event from the script over UDP
)

// Entry is one parsed line, or one grouped traceback.
type Entry struct {
	ID        uint64 // increasing, unique within a Ring
	Time      time.Time
	Level     Level
	Source    Source
	Component string
	Message   string
	Traceback []string // the lines of a grouped RemoteScriptError traceback, else nil
}

// The entry's text is kept once: Message (and Component, Time, Level) are
// what the line said, so an entry does not also carry the line verbatim. A
// Log.txt line that does not have Live's shape is kept whole as its Message.

// Filter selects entries; the zero Filter matches everything.
type Filter struct {
	MinLevel  Level  // entries below are left out
	Component string // exact component, "" = any
	Text      string // case-insensitive substring of message, component or traceback, "" = any
}
