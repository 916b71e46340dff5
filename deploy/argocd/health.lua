-- Argo CD health of a TenantReplicaSet or RedisInstanceSet, read from its kstatus conditions.
-- Healthy: Ready for the current generation. Progressing: not yet observed, or work in flight.
-- Degraded: Stalled (needs a human: failed DAG, approval, refused by a safety guard). Suspended: paused.
local hs = {}
local status = obj.status
local generation = obj.metadata and obj.metadata.generation
if status == nil or status.conditions == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe the set"
  return hs
end
if generation ~= nil and (status.observedGeneration == nil or status.observedGeneration < generation) then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to act on generation " .. tostring(generation)
  return hs
end
local ready, reconciling, stalled
for _, c in ipairs(status.conditions) do
  if c.type == "Ready" then ready = c end
  if c.type == "Reconciling" and c.status == "True" then reconciling = c end
  if c.type == "Stalled" and c.status == "True" then stalled = c end
end
if stalled ~= nil then
  hs.status = "Degraded"
  hs.message = stalled.reason .. ": " .. (stalled.message or "")
  return hs
end
if status.phase == "Paused" then
  hs.status = "Suspended"
  hs.message = "Paused: no remote call is made"
  return hs
end
if reconciling ~= nil then
  hs.status = "Progressing"
  hs.message = reconciling.reason .. ": " .. (reconciling.message or "")
  return hs
end
if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = ready.message or "Ready"
  return hs
end
hs.status = "Progressing"
hs.message = (ready and ready.reason or "Reconciling") .. ": " .. (ready and ready.message or "")
return hs
