// Through two transients: singleton `Billing` -> transient `Invoices`
// -> transient `Ledger` -> scoped `Transaction`. The transient that also
// holds a singleton pins the shorter of the two.
use std::sync::Arc;
use tenure::{Factory, Injectable};

#[derive(Injectable)]
#[injectable(scoped)]
struct Transaction;

#[derive(Injectable)]
#[injectable(singleton)]
struct Config;

#[derive(Injectable)]
#[injectable(transient)]
struct Ledger(Arc<Config>, Arc<Transaction>);

#[derive(Injectable)]
#[injectable(transient)]
struct Invoices {
    ledger: Arc<Ledger>,
    config: Arc<Config>,
}

#[derive(Injectable)]
#[injectable(singleton)]
struct Billing {
    // A factory holds nothing: not captive.
    ledgers: Factory<Ledger>,
    invoices: Arc<Invoices>,
}

fn main() {}
