package models_test

import (
	"context"
	"strings"
	"testing"

	"concord/models"
)

func TestParseRoster(t *testing.T) {
	tests := []struct {
		name    string
		csv     string
		want    []models.Member
		wantErr string
	}{
		{name: "valid, trimmed and upper-cased",
			csv:  "code,name,accession\nest, Estonia ,2004\nFIN,Finland, 2023\n",
			want: []models.Member{{Code: "EST", Name: "Estonia", Accession: 2004}, {Code: "FIN", Name: "Finland", Accession: 2023}}},
		{name: "quoted name with a comma",
			csv:  "code,name,accession\nGBR,\"United Kingdom, The\",1949\n",
			want: []models.Member{{Code: "GBR", Name: "United Kingdom, The", Accession: 1949}}},
		{name: "empty file", csv: "", wantErr: "read roster header"},
		{name: "header with two columns", csv: "code,name\nEST,Estonia\n", wantErr: "read roster header"},
		{name: "wrong header", csv: "code,name,year\nEST,Estonia,2004\n", wantErr: "roster header must be code,name,accession"},
		{name: "header only", csv: "code,name,accession\n", wantErr: "roster is empty"},
		{name: "year not a number", csv: "code,name,accession\nEST,Estonia,soon\n", wantErr: "roster line 2: need a code of 2 to 8 letters or digits, a name and a year"},
		{name: "code too short", csv: "code,name,accession\nE,Estonia,2004\n", wantErr: "roster line 2"},
		{name: "code too long", csv: "code,name,accession\nESTONIAAA,Estonia,2004\n", wantErr: "roster line 2"},
		{name: "code with a space", csv: "code,name,accession\nE ST,Estonia,2004\n", wantErr: "roster line 2"},
		{name: "code with a slash", csv: "code,name,accession\nEST/LVA,Baltics,2004\n", wantErr: "roster line 2"},
		{name: "code with an accent", csv: "code,name,accession\nÉST,Estonia,2004\n", wantErr: "roster line 2"},
		{name: "name in another encoding", csv: "code,name,accession\nTUR,T\xfcrkiye,1952\n", wantErr: "roster line 2"},
		{name: "letters and digits", csv: "code,name,accession\nEU27,European Union,1993\n",
			want: []models.Member{{Code: "EU27", Name: "European Union", Accession: 1993}}},
		{name: "empty name", csv: "code,name,accession\nEST,Estonia,2004\nLVA, ,2004\n", wantErr: "roster line 3"},
		{name: "code twice, in other case", csv: "code,name,accession\nEST,Estonia,2004\nest,Estland,2004\n", wantErr: "roster line 3: code EST appears twice"},
		{name: "missing column", csv: "code,name,accession\nEST,Estonia\n", wantErr: "read roster"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := models.ParseRoster(strings.NewReader(tc.csv))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one with %q", err, tc.wantErr)
				}
				if got != nil {
					t.Errorf("members %v returned with an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("members %+v, want %+v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("member %d: %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestDefaultRosterAndSeed(t *testing.T) {
	roster, err := models.DefaultRoster()
	if err != nil {
		t.Fatal(err)
	}
	if len(roster) != 32 {
		t.Fatalf("%d members in the default roster, want 32", len(roster))
	}
	s, _ := freshStore(t) // seeds the default roster
	ctx := context.Background()
	// Seeding again, with a renamed member, updates in place.
	renamed := append([]models.Member(nil), roster...)
	for i := range renamed {
		if renamed[i].Code == "TUR" {
			renamed[i].Name = "Turkey"
		}
	}
	if err := s.SeedMembers(ctx, renamed); err != nil {
		t.Fatal(err)
	}
	members, err := s.Members(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(members) != 32 {
		t.Errorf("%d members after seeding twice, want 32", len(members))
	}
	m, err := s.MemberByCode(ctx, "tur")
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "Turkey" {
		t.Errorf("TUR is named %q after reseeding", m.Name)
	}
}
