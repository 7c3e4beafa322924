//! A connection whose pipelines stop reading at the first reply that does not arrive.
//!
//! The redis crate reads every reply of a pipeline even after one failed (so that it can report
//! all the errors of a `MULTI` block), and after a read timed out each further read waits the
//! whole timeout again: a stalled server held a key's write (`MULTI`, `SET`, `ZADD`, `EXEC`) for
//! four reply timeouts, and a caller's deadline for as many. Through [`Bounded`] the first
//! reply lost or late ends the pipeline; the caller drops the connection, as after any lost
//! reply. A command the server refused inside a `MULTI` block (a cluster redirect, say) is
//! returned as that command's own error, nothing having run.

use redis::{ConnectionLike, RedisResult, Value};

/// `conn` for `Pipeline::query`, its replies read as the module says.
pub(super) struct Bounded<'a>(pub(super) &'a mut redis::Connection);

impl ConnectionLike for Bounded<'_> {
    fn req_packed_command(&mut self, cmd: &[u8]) -> RedisResult<Value> {
        self.0.req_packed_command(cmd)
    }

    fn req_packed_commands(
        &mut self,
        cmd: &[u8],
        offset: usize,
        count: usize,
    ) -> RedisResult<Vec<Value>> {
        self.0.send_packed_command(cmd)?;
        let mut replies = Vec::with_capacity(count);
        let mut refused = None;
        for i in 0..offset + count {
            // `?`: a reply that did not arrive ends the pipeline (the others would wait as long).
            match self.0.recv_response()? {
                // The replies before `offset` are `MULTI`'s and each queued command's.
                Value::ServerError(e) if i < offset => {
                    refused.get_or_insert(e);
                }
                _ if i < offset => {}
                v => replies.push(v),
            }
        }
        match refused {
            Some(e) => Err(e.into()),
            None => Ok(replies),
        }
    }

    fn get_db(&self) -> i64 {
        self.0.get_db()
    }

    fn check_connection(&mut self) -> bool {
        self.0.check_connection()
    }

    fn is_open(&self) -> bool {
        self.0.is_open()
    }
}
