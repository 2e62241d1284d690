#!/bin/sh
# trustlayer's post-receive hook, written by `githook install`
# (infra/cmd/githook/install.go; docs/git-server.md, "post-receive").
#
# The refs have moved and nothing can be refused any more: the push's
# manifest (file index, model cards and signatures) and the copies for
# scanning are made by `githook post-receive` in a process of its own
# session, with the ref updates on its standard input, so that git answers
# the pusher at once. It first spools them to <git dir>/trustlayer-pushes/
# (a later run delivers what a dead one left). Its output is appended to
# <git dir>/trustlayer-uploads.log. It runs at a lower CPU priority
# (nice), started by the detached child, not by this script: the push's
# own processes, still answering the pusher, come first.
exec setsid -f nice -n 10 @GITHOOK@ post-receive --detached >>"${GIT_DIR:-.}/trustlayer-uploads.log" 2>&1
