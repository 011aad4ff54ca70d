// Package layers holds, in its test, who may import whom in this module:
//
//   - domain packages (about, chart, clock, iuran, kartu, kode, kpj, locales,
//     nama, nik, origin, payments and its providers, roster, sponsor,
//     tanggal, telepon, vault, wilayah) know nothing of the service: no
//     flows, store, bot or cmd (sponsor, the sponsor's import, declares the
//     store it needs, as flows does);
//   - flows, where every use case starts and decides, and all it depends
//     on, import neither bot nor store nor a payment provider;
//   - store keeps SQL, locking and row mapping: it imports no bot, and calls
//     no function of flows (it implements flows' interfaces and uses its
//     types);
//   - the channels (bot/...) and payments/webhook translate the wire and
//     do not reach into store;
//   - only cmd wires them together.
package layers
