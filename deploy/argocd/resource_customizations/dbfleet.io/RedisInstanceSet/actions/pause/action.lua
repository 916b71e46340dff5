-- The pause annotation: the operator makes no remote call for the set until it is removed.
if obj.metadata.annotations == nil then obj.metadata.annotations = {} end
obj.metadata.annotations["dbfleet.io/paused"] = "true"
return obj
