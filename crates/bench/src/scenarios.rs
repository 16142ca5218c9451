//! The scenarios and the wrk scripts that drive them. Every script ends with the same `done`
//! hook, which prints one machine-readable line with wrk's own counts and latency percentiles.

use crate::modern::DEVICE_CLIENT_ID;
use crate::prepare::{DataFiles, CALLBACK, CLIENT_ID, CLIENT_SECRET, PASSWORD};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use std::path::PathBuf;

/// Reads the data file (one secret per line) and hands each thread every n-th line, so single-use
/// secrets are never sent twice.
const DATA_LIB: &str = r#"
local lines, index, step = {}, 0, 1
local counter = 1
function setup(thread)
  thread:set("thread_index", counter)
  counter = counter + 1
end
function init(args)
  step = tonumber(os.getenv("BENCH_THREADS") or "1")
  local path = os.getenv("BENCH_DATA")
  if path and path ~= "" then
    for line in io.lines(path) do lines[#lines + 1] = line end
  end
  index = (thread_index or 1) - 1
end
function next_line()
  local line = lines[(index % #lines) + 1]
  index = index + step
  return line
end
"#;

pub(crate) const DONE: &str = r#"
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"errors":%d,"status_errors":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"#;

/// One load scenario.
pub(crate) struct Scenario {
    pub(crate) name: &'static str,
    /// The Lua script for wrk.
    pub(crate) script: String,
    /// The file of secrets it presents, if any.
    pub(crate) data: Option<PathBuf>,
    /// Whether each secret in `data` works once only (codes, refresh tokens, sign-in forms): a
    /// run that sends more requests than there are lines reused some and measured the refusals.
    pub(crate) single_use: bool,
    /// Whether its answers are refusals by design (a pending device's poll), not failures.
    pub(crate) refusals_expected: bool,
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs.iter().map(|(name, value)| format!("{name}={value}")).collect::<Vec<_>>().join("&")
}

/// Every scenario, in report order.
pub(crate) fn all(files: &DataFiles) -> Vec<Scenario> {
    let token_form = |extra: &str| {
        format!(
            r#"wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
{extra}"#
        )
    };
    let client = form(&[("client_id", CLIENT_ID), ("client_secret", CLIENT_SECRET)]);
    let basic = STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"));
    vec![
        Scenario { name: "healthz", script: format!("wrk.path = \"/healthz\"\n{DONE}"), data: None, single_use: false, refusals_expected: false },
        Scenario {
            name: "bearer-read",
            script: format!(
                "{DATA_LIB}\nfunction request()\n  return wrk.format(\"GET\", \"/api/public/me\", {{[\"Authorization\"] = \"Bearer \" .. next_line()}})\nend\n{DONE}"
            ),
            data: Some(files.bearer.clone()),
            single_use: false,
            refusals_expected: false,
        },
        Scenario {
            name: "client-credentials",
            script: format!(
                "{}\nwrk.path = \"/oauth/token\"\nwrk.body = \"grant_type=client_credentials&{client}\"\n{DONE}",
                token_form("")
            ),
            data: None,
            single_use: false,
            refusals_expected: false,
        },
        Scenario {
            name: "code-exchange",
            script: format!(
                "{DATA_LIB}\n{}\nfunction request()\n  return wrk.format(nil, \"/oauth/token\", nil, \"grant_type=authorization_code&{client}&redirect_uri={CALLBACK}&code=\" .. next_line())\nend\n{DONE}",
                token_form("")
            ),
            data: Some(files.codes.clone()),
            single_use: true,
            refusals_expected: false,
        },
        Scenario {
            name: "refresh",
            script: format!(
                "{DATA_LIB}\n{}\nfunction request()\n  return wrk.format(nil, \"/oauth/token\", nil, \"grant_type=refresh_token&{client}&refresh_token=\" .. next_line())\nend\n{DONE}",
                token_form("")
            ),
            data: Some(files.refresh.clone()),
            single_use: true,
            refusals_expected: false,
        },
        Scenario {
            name: "introspect",
            script: format!(
                "{DATA_LIB}\n{}\nwrk.headers[\"Authorization\"] = \"Basic {basic}\"\nfunction request()\n  return wrk.format(nil, \"/oauth/introspect\", nil, \"token=\" .. next_line())\nend\n{DONE}",
                token_form("")
            ),
            data: Some(files.bearer.clone()),
            single_use: false,
            refusals_expected: false,
        },
        Scenario {
            name: "sign-in",
            script: format!(
                "{DATA_LIB}\n{}\nfunction request()\n  local id, csrf, email = next_line():match(\"(%S+) (%S+) (%S+)\")\n  return wrk.format(nil, \"/session/new\", {{[\"Cookie\"] = \"tb_session=\" .. id}}, \"csrf_token=\" .. csrf .. \"&email=\" .. email .. \"&password={PASSWORD}&return_to=/\")\nend\n{DONE}",
                token_form("")
            ),
            data: Some(files.sessions.clone()),
            single_use: true,
            refusals_expected: false,
        },
        // Last, so their writes (a proof per read, a poll's update) leave the token scenarios' database as
        // it was before they were added.
        Scenario {
            name: "dpop-bearer-read",
            script: format!(
                "{DATA_LIB}\nfunction request()\n  local token, proof = next_line():match(\"(%S+) (%S+)\")\n  return wrk.format(\"GET\", \"/api/public/me\", {{[\"Authorization\"] = \"DPoP \" .. token, [\"DPoP\"] = proof}})\nend\n{DONE}"
            ),
            data: Some(files.dpop.clone()),
            single_use: true,
            refusals_expected: false,
        },
        Scenario {
            name: "device-poll",
            script: format!(
                "{DATA_LIB}\n{}\nfunction request()\n  return wrk.format(nil, \"/oauth/token\", nil, \"grant_type=urn:ietf:params:oauth:grant-type:device_code&client_id={DEVICE_CLIENT_ID}&device_code=\" .. next_line())\nend\n{DONE}",
                token_form("")
            ),
            data: Some(files.devices.clone()),
            single_use: false,
            refusals_expected: true,
        },
    ]
}
