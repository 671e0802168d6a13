use tenure::Injectable;

trait Clock: Send + Sync {}

// Not a trait.
#[derive(Injectable)]
#[injectable(singleton, provides = String)]
struct Name;

// A trait the type does not implement.
#[derive(Injectable)]
#[injectable(singleton, provides = dyn Clock)]
struct SystemClock;

fn main() {}
