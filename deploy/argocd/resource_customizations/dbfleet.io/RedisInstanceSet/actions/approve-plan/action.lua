-- Approves exactly the plan the operator asks about: the hash in status.pendingApproval is bound to the
-- set, its remote and the exact targets, so a plan that changed since is not approved by it.
if obj.status == nil or obj.status.pendingApproval == nil or obj.status.pendingApproval.hash == nil then
  error("no plan waits for approval", 0)
end
if obj.metadata.annotations == nil then obj.metadata.annotations = {} end
obj.metadata.annotations["dbfleet.io/approve-plan"] = obj.status.pendingApproval.hash
return obj
