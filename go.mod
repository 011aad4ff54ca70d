module github.com/lindungi/lindungi

go 1.26

require (
	github.com/BurntSushi/toml v1.6.0 // indirect
	github.com/jmoiron/sqlx v1.4.0 // indirect
	github.com/lib/pq v1.12.3 // indirect
	github.com/looplab/fsm v1.0.3 // indirect
	github.com/nicksnyder/go-i18n/v2 v2.7.0 // indirect
	golang.org/x/text v0.44.0 // indirect
)
