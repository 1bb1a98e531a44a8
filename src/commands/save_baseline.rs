//! `perfgate save-baseline NAME`: name a run for `compare` and `--compare-to`.

use super::store_for;
use crate::cli::RunArgs;
use crate::engine::error::{Error, Result};

pub fn run(args: &RunArgs, name: String, run: String) -> Result<i32> {
    let (mut st, _) = store_for(args)?;
    let id = crate::engine::compare::resolve(st.as_ref(), &run)?;
    if st.run(id)?.is_none() {
        return Err(Error::Usage(format!(
            "run #{id} does not exist; `perfgate runs` lists them"
        )));
    }
    if name.trim().is_empty() || name.parse::<i64>().is_ok() || name == "latest" {
        return Err(Error::Usage(format!(
            "name {name:?}: expected a name that is not a number or `latest`"
        )));
    }
    st.save_named_run(&name, id, &crate::engine::store::actor())?;
    println!("run #{id} saved as {name:?}");
    Ok(0)
}
