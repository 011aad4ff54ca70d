module github.com/lindungi/lindungi

go 1.26.0

require (
	github.com/BurntSushi/toml v1.6.0
	github.com/jmoiron/sqlx v1.4.0
	github.com/lib/pq v1.12.3
	github.com/looplab/fsm v1.0.3
	github.com/nicksnyder/go-i18n/v2 v2.7.0
	golang.org/x/text v0.44.0
)
