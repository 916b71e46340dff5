-- Removes the pause annotation (spec.paused, kept in Git, is not touched).
if obj.metadata.annotations ~= nil then obj.metadata.annotations["dbfleet.io/paused"] = nil end
return obj
