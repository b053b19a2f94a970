//! The project's RBAC policy: Stytch's predefined consumer role by default, or the JSON file of `--rbac-policy`; bootstrap reports it and `GET /v1/rbac/policy` serves it.
//!
//! The shape is the official clients' (`rbac_policy` of the browser SDK's
//! bootstrap, `consumer::rbac::Policy` of the Rust crate): `roles[{role_id,
//! description, permissions[{resource_id, actions[]}]}]`, `resources[{
//! resource_id, description, actions[]}]`, `scopes[{scope, description,
//! permissions[]}]`. The policy is only published: roles are not assigned
//! here (users and sessions keep `roles: []`), so the browser SDK's
//! `rbac.isAuthorized` answers from this policy for the roles a user has.

use std::{collections::HashSet, path::Path};

use axum::http::Method;
use serde::{Deserialize, Serialize};

use crate::{
    error::ApiResult,
    http::{Api, Caller, Reply},
    state::AppState,
};

/// The role Stytch predefines in every consumer project.
pub const STYTCH_USER: &str = "stytch_user";

/// An action that grants every action of a resource.
const WILDCARD: &str = "*";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub roles: Vec<Role>,
    pub resources: Vec<Resource>,
    #[serde(default)]
    pub scopes: Vec<Scope>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    pub role_id: String,
    pub description: String,
    pub permissions: Vec<Permission>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Permission {
    pub resource_id: String,
    pub actions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resource {
    pub resource_id: String,
    pub description: String,
    pub actions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scope {
    pub scope: String,
    pub description: String,
    pub permissions: Vec<Permission>,
}

impl Default for Policy {
    /// The predefined role alone, with no permissions: the SDK's checks all
    /// answer "not authorized" until a policy file grants something.
    fn default() -> Self {
        Policy {
            roles: vec![Role {
                role_id: STYTCH_USER.into(),
                description: "Stytch's predefined role of every consumer project.".into(),
                permissions: Vec::new(),
            }],
            resources: Vec::new(),
            scopes: Vec::new(),
        }
    }
}

impl Policy {
    /// The default policy, or the one in `file` (checked: see [`Policy::check`]).
    pub fn load(file: Option<&Path>) -> Result<Policy, String> {
        let Some(file) = file else {
            return Ok(Policy::default());
        };
        let fail = |why: String| format!("--rbac-policy {}: {why}", file.display());
        let raw = std::fs::read_to_string(file).map_err(|e| fail(e.to_string()))?;
        let policy: Policy = serde_json::from_str(&raw).map_err(|e| fail(e.to_string()))?;
        policy.check().map_err(fail)?;
        Ok(policy)
    }

    /// Ids are unique and not empty, the predefined `stytch_user` role is
    /// there, and every permission names a resource of the policy and
    /// actions of that resource (or `*`).
    pub fn check(&self) -> Result<(), String> {
        unique("role_id", self.roles.iter().map(|r| r.role_id.as_str()))?;
        unique(
            "resource_id",
            self.resources.iter().map(|r| r.resource_id.as_str()),
        )?;
        unique("scope", self.scopes.iter().map(|s| s.scope.as_str()))?;
        if !self.roles.iter().any(|r| r.role_id == STYTCH_USER) {
            return Err(format!("the predefined role {STYTCH_USER} is missing"));
        }
        let granted = self
            .roles
            .iter()
            .map(|r| (format!("role {}", r.role_id), &r.permissions))
            .chain(
                self.scopes
                    .iter()
                    .map(|s| (format!("scope {}", s.scope), &s.permissions)),
            );
        for (owner, permissions) in granted {
            for permission in permissions {
                let resource = self
                    .resources
                    .iter()
                    .find(|r| r.resource_id == permission.resource_id)
                    .ok_or_else(|| {
                        format!(
                            "{owner} names the resource {:?}, which the policy does not define",
                            permission.resource_id
                        )
                    })?;
                if let Some(unknown) = permission
                    .actions
                    .iter()
                    .find(|a| *a != WILDCARD && !resource.actions.contains(a))
                {
                    return Err(format!(
                        "{owner} grants {unknown:?} on {:?}, which is not one of its actions",
                        resource.resource_id
                    ));
                }
            }
        }
        Ok(())
    }
}

fn unique<'a>(what: &str, ids: impl Iterator<Item = &'a str>) -> Result<(), String> {
    let mut seen = HashSet::new();
    for id in ids {
        if id.trim().is_empty() {
            return Err(format!("a {what} is empty"));
        }
        if !seen.insert(id) {
            return Err(format!("the {what} {id:?} appears twice"));
        }
    }
    Ok(())
}

pub fn mount(api: Api) -> Api {
    api.backend(Method::GET, "/rbac/policy", policy)
}

#[derive(Debug, Deserialize)]
pub struct PolicyRequest {}

#[derive(Debug, Serialize)]
pub struct PolicyResponse {
    pub policy: Policy,
}

impl Reply for PolicyResponse {}

/// `GET /v1/rbac/policy` (the official clients' `rbac.policy`).
async fn policy(
    state: AppState,
    _caller: Caller,
    _req: PolicyRequest,
) -> ApiResult<PolicyResponse> {
    Ok(PolicyResponse {
        policy: state.project.rbac_policy.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: serde_json::Value) -> Result<Policy, String> {
        let policy: Policy = serde_json::from_value(raw).map_err(|e| e.to_string())?;
        policy.check().map(|()| policy)
    }

    #[test]
    fn the_default_has_the_predefined_role() {
        let policy = Policy::default();
        policy.check().unwrap();
        let json = serde_json::to_value(&policy).unwrap();
        assert_eq!(json["roles"][0]["role_id"], "stytch_user");
        assert_eq!(json["resources"], serde_json::json!([]));
        assert_eq!(json["scopes"], serde_json::json!([]));
    }

    #[test]
    fn files_are_checked() {
        let good = serde_json::json!({
            "roles": [
                {"role_id": "stytch_user", "description": "", "permissions": [{"resource_id": "documents", "actions": ["read"]}]},
                {"role_id": "editor", "description": "", "permissions": [{"resource_id": "documents", "actions": ["*"]}]}
            ],
            "resources": [{"resource_id": "documents", "description": "", "actions": ["read", "write"]}]
        });
        assert_eq!(parse(good).unwrap().scopes, Vec::new());
        for (bad, why) in [
            (
                serde_json::json!({"roles": [], "resources": []}),
                "stytch_user",
            ),
            (
                serde_json::json!({"roles": [{"role_id": "stytch_user", "description": "", "permissions": [{"resource_id": "nope", "actions": []}]}], "resources": []}),
                "nope",
            ),
            (
                serde_json::json!({"roles": [{"role_id": "stytch_user", "description": "", "permissions": [{"resource_id": "d", "actions": ["delete"]}]}],
                                   "resources": [{"resource_id": "d", "description": "", "actions": ["read"]}]}),
                "delete",
            ),
            (
                serde_json::json!({"roles": [{"role_id": "stytch_user", "description": "", "permissions": []}, {"role_id": "stytch_user", "description": "", "permissions": []}], "resources": []}),
                "twice",
            ),
            (
                serde_json::json!({"roles": [{"role_id": "stytch_user", "description": "", "permissions": []}], "resources": [], "extra": 1}),
                "extra",
            ),
        ] {
            let err = parse(bad).unwrap_err();
            assert!(err.contains(why), "{err}");
        }
    }
}
