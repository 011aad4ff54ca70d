package sponsor

import "time"

// MaxUpload is the largest list the dashboard takes, in bytes: 20 MB, some
// 150,000 rows of CSV. A bigger list is imported with `lindungi import`.
const MaxUpload = 20 << 20

// Where an uploaded list stands.
const (
	UploadChecked = "checked" // its dry run's report is ready: waiting for an admin to confirm
	UploadRunning = "running" // being imported (or stopped by a crash: resumed)
	UploadDone    = "done"    // imported: Result and BatchID say what it did
	UploadFailed  = "failed"  // stopped by an error; an admin may start it again
)

// Upload is a sponsor's list uploaded on the dashboard: the batch it is for,
// what its dry run found and, once an admin confirmed it, its import's
// progress and result. The file itself stays in the store.
type Upload struct {
	ID int64
	// Spec is the batch the list fills: sponsor, file name and SHA-256,
	// programmes, months, start, funding; CreatedBy is who uploaded it.
	Spec      BatchSpec
	Size      int64  // the file's bytes
	Lang      string // the language of its reports
	Status    string // an Upload* constant
	CreatedAt time.Time
	Read      int // data rows its dry run read
	Valid     int // of them, rows that passed every check
	// Before is, for a checked upload, the batch the same sponsor's same
	// file filled already (0: none): importing it again adds nobody twice.
	Before     int64
	StartedBy  string
	StartedAt  time.Time // zero until confirmed
	Runs       int       // how often an admin started its import (a failed one may be started again)
	Done       int       // rows the running import has read
	BatchID    int64     // 0 until imported
	Result     UploadResult
	FinishedAt time.Time
	Error      string // why it failed (for the log; staff see a plain text)
}

// Rejected is how many rows its dry run refused.
func (u Upload) Rejected() int { return u.Read - u.Valid }

// UploadResult is what an upload's import did, as its batch counts it after
// every run (a run resumed after a crash finds the rows stored before it).
type UploadResult struct {
	Read     int // data rows read
	Imported int // new registrations of the batch
	Attached int // registered already and unpaid: the batch pays for them now
	Active   int // registered already and protected today: left alone
	Other    int // another sponsor pays for them: left alone
	Rejected int // rows that failed a check or repeat a NIK of the file
}
