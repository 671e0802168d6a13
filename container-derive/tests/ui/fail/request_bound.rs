// `request_bound` marks a service that carries one request's state: a
// singleton cannot be one, and the key is given once.
use tenure::Injectable;

#[derive(Injectable)]
#[injectable(singleton, request_bound)]
struct Settings;

#[derive(Injectable)]
#[injectable(scoped, request_bound, request_bound)]
struct RequestContext;

fn main() {}
