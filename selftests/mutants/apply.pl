#!/usr/bin/perl
# SPDX-License-Identifier: GPL-2.0
#
# Apply one mutant to a tree:   apply.pl [--check] MUTANT-FILE TREE
#                               apply.pl --field NAME MUTANT-FILE
#
# A mutant file (selftests/mutants/<name>.mutant) has header lines
# "key: value" (arch, file, bug, and optionally survives), then one or more
# hunks: a line "---", the exact original lines, a line "+++", the lines
# that replace them.  Each original must occur exactly once in the file it
# edits; otherwise the mutant is stale (exit 3) and nothing is written.
# --check only tells whether it applies.  Perl because Debian always has it.
use strict;
use warnings;

sub usage { print STDERR "usage: $0 [--check] MUTANT TREE | --field NAME MUTANT\n"; exit 2; }

sub parse {
	my ($path) = @_;
	open(my $fh, '<', $path) or die "mutant: cannot read $path: $!\n";
	my (%hdr, @hunks, $mode);
	while (my $line = <$fh>) {
		if ($line eq "---\n") {
			push @hunks, { old => '', new => '' };
			$mode = 'old';
			next;
		}
		if ($line eq "+++\n") {
			die "mutant: $path: '+++' before '---'\n" unless $mode;
			$mode = 'new';
			next;
		}
		if ($mode) {
			$hunks[-1]{$mode} .= $line;
			next;
		}
		next if $line =~ /^#/ || $line =~ /^\s*$/;
		if ($line =~ /^([a-z]+):\s*(.*?)\s*$/) {
			$hdr{$1} = defined $hdr{$1} ? "$hdr{$1} $2" : $2;
			next;
		}
		die "mutant: $path: stray line: $line";
	}
	close($fh);
	for my $k (qw(arch file bug)) {
		die "mutant: $path: no '$k:' line\n" unless defined $hdr{$k};
	}
	die "mutant: $path: arch must be x86, arm64, riscv or a list of them\n"
		unless $hdr{arch} =~ /^(x86|arm64|riscv)( (x86|arm64|riscv))*$/;
	die "mutant: $path: no hunk\n" unless @hunks;
	for my $h (@hunks) {
		die "mutant: $path: a hunk without '+++'\n" unless defined $h->{new};
		die "mutant: $path: an empty original\n" if $h->{old} eq '';
		die "mutant: $path: a hunk that changes nothing\n"
			if $h->{old} eq $h->{new};
	}
	return (\%hdr, \@hunks);
}

my $check = 0;
if (@ARGV && $ARGV[0] eq '--field') {
	usage() unless @ARGV == 3;
	my ($hdr) = parse($ARGV[2]);
	print defined $hdr->{$ARGV[1]} ? "$hdr->{$ARGV[1]}\n" : "";
	exit 0;
}
if (@ARGV && $ARGV[0] eq '--check') {
	$check = 1;
	shift @ARGV;
}
usage() unless @ARGV == 2;
my ($mfile, $tree) = @ARGV;
my ($hdr, $hunks) = parse($mfile);
my $target = "$tree/$hdr->{file}";
open(my $in, '<', $target) or do { print "stale: $hdr->{file}: $!\n"; exit 3; };
my $text = do { local $/; <$in> };
close($in);
my $n = 0;
for my $h (@$hunks) {
	$n++;
	my $at = index($text, $h->{old});
	if ($at < 0) {
		my $first = (split /\n/, $h->{old})[0];
		print "stale: hunk $n: its original is no longer in $hdr->{file} (first line: $first)\n";
		exit 3;
	}
	if (index($text, $h->{old}, $at + 1) >= 0) {
		print "stale: hunk $n: its original occurs more than once in $hdr->{file}\n";
		exit 3;
	}
	substr($text, $at, length($h->{old})) = $h->{new};
}
exit 0 if $check;
open(my $out, '>', $target) or die "mutant: cannot write $target: $!\n";
print $out $text;
close($out) or die "mutant: cannot write $target: $!\n";
exit 0;
