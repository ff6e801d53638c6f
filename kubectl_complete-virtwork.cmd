@echo off
rem kubectl (1.26 and later) runs this script, found on PATH through PATHEXT,
rem to complete `kubectl virtwork ...` on Windows; see kubectl_complete-virtwork.
kubectl-virtwork.exe __complete %*
