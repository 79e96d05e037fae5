module github.com/vimabl/vimabl

go 1.24

require (
	fyne.io/fyne/v2 v2.7.1 // indirect
	github.com/gorilla/websocket v1.5.3 // indirect
	github.com/hypebeast/go-osc v0.0.0-20220308234300-cec5a8a1e5f5 // indirect
)
