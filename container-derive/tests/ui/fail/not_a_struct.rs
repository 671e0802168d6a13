use tenure::Injectable;

#[derive(Injectable)]
#[injectable(singleton)]
enum Storage {
    Memory,
    Disk,
}

#[derive(Injectable)]
#[injectable(singleton)]
union Bits {
    int: u32,
    float: f32,
}

fn main() {}
